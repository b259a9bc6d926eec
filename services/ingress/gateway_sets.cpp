#include "services/ingress/gateway_sets.h"

namespace callmesh::ingress {

GatewaySets::GatewaySets(const config::GatewaySetSettings& s) {
  HealthPolicy policy{s.probe_interval_ms, s.probe_timeout_ms, s.failures_before_down,
                      s.successes_before_up};
  for (const auto& [set, entries] : s.sets) {
    for (const auto& e : entries) {
      std::string host = e.host.find(':') != std::string::npos ? "[" + e.host + "]" : e.host;
      std::string host_port = host + ":" + std::to_string(e.port);
      std::string uri = "sip:" + host_port;
      if (!e.transport.empty()) uri += ";transport=" + e.transport;
      members_[set].push_back(gateways_.size());
      gateways_.push_back(Gateway{set, e.name, host_port, e.transport, uri, e.priority, e.weight,
                                  GatewayHealth(policy)});
    }
  }
}

std::vector<size_t> GatewaySets::candidates(const std::string& set, const Draw& draw) const {
  auto it = members_.find(set);
  if (it == members_.end()) return {};
  std::vector<GatewayRank> ranks;
  for (size_t i : it->second) {
    const Gateway& g = gateways_[i];
    ranks.push_back(GatewayRank{g.priority, g.weight, g.health.up()});
  }
  std::vector<size_t> order;
  for (size_t k : orderGateways(ranks, draw)) order.push_back(it->second[k]);
  return order;
}

size_t GatewaySets::upCount(const std::string& set) const {
  auto it = members_.find(set);
  if (it == members_.end()) return 0;
  size_t up = 0;
  for (size_t i : it->second) up += gateways_[i].health.up() ? 1 : 0;
  return up;
}

}  // namespace callmesh::ingress
