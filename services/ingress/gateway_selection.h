#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace callmesh::ingress {

// What selection reads of one gateway of a set.
struct GatewayRank {
  int64_t priority = 0;  // lower first
  int weight = 1;        // 0 = after the weighted ones of its priority
  bool up = true;
};

// A uniform draw in [0, bound): injected so tests choose the outcome.
using Draw = std::function<uint64_t(uint64_t bound)>;

// The order in which a call tries the gateways of a set (indexes into `gateways`): gateways
// that are down are left out; lower priority first; within one priority a weighted random order
// (RFC 2782's selection: each pick is a gateway with probability weight / remaining weights),
// weight-0 gateways last in configuration order. Pure.
std::vector<size_t> orderGateways(const std::vector<GatewayRank>& gateways, const Draw& draw);

// The gateway set a ring target names: `sip:<user>@<set>` where the host is one word with no
// port (a set name from configuration; validGatewaySetName). "" for any other URI.
std::string gatewaySetOf(const std::string& target_uri);

// The target sent to one gateway of its set: the set name replaced by the gateway's
// host:port, the target's own parameters kept, the gateway's transport added.
// sip:+12125550100@carriers ; 10.0.0.1:5080 tcp -> sip:+12125550100@10.0.0.1:5080;transport=tcp
std::string targetThroughGateway(const std::string& target_uri, const std::string& host_port,
                                 const std::string& transport);

// Where a gateway's requests are sent: NTA's route URL, which is never written into the message.
// For a TLS gateway given by name (`server_name`, ResolvedTarget), sip:<name>:<port>;
// transport=tls;maddr=<address>: NTA connects to the maddr address (numeric: no DNS from sofia)
// and names the connection after the URL's host, which sofia's TLS check matches against the
// peer certificate's subjects, so the certificate must carry the configured name (RFC 5922), not
// the address DNS gave. Otherwise sip:<host_port>[;transport=x], the address itself.
// 127.0.0.5:5061 tls carrier.test -> sip:carrier.test:5061;transport=tls;maddr=127.0.0.5
std::string gatewayRouteUri(const std::string& host_port, const std::string& transport,
                            const std::string& server_name);

}  // namespace callmesh::ingress
