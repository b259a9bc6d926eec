#pragma once

// Which address the API's per-client limits key on (notification.trusted_proxies): behind a
// Kubernetes ingress or load balancer every connection comes from the proxy, so keying on the
// TCP peer would put every agent's failed sign-ins in one bucket (one outsider guessing tokens
// would lock everyone out). X-Forwarded-For names the real client, but any client can send it,
// so it is read only when the peer is a trusted proxy, and then from the right: each trusted
// proxy appends the address it saw, so the rightmost hop that is not a trusted proxy is the
// client; whatever is left of it was written by the client and is ignored. Pure: no sockets.
#include <string>
#include <string_view>
#include <vector>

#include "shared/net/cidr.h"

namespace callmesh::notification {

// Hops of X-Forwarded-For looked at, from the right: more proxies than this in front of the API
// is a misconfiguration; the bound keeps the work per request constant.
constexpr size_t kMaxForwardedHops = 16;

// `peer`: the TCP peer's address. `forwarded_for`: the value of each X-Forwarded-For header, in
// the order received (several headers are one comma-separated list, RFC 9110 5.3). Returns the
// client's address in canonical form (net::formatIp): the peer when it is not a trusted proxy or
// sent no header; else the rightmost hop not in `trusted_proxies`. A hop that is not an address
// ("unknown", garbage) stops the walk at the proxy to its right: the client cannot invent keys.
// All hops trusted (or kMaxForwardedHops of them): the leftmost one looked at.
std::string clientAddress(const std::string& peer,
                          const std::vector<std::string_view>& forwarded_for,
                          const net::CidrSet& trusted_proxies);

}  // namespace callmesh::notification
