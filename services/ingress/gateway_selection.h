#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace callmesh::ingress {

// What selection reads of one gateway of a set.
struct GatewayRank {
  int priority = 0;  // lower first
  int weight = 1;    // 0 = after the weighted ones of its priority
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

}  // namespace callmesh::ingress
