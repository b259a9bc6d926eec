#include "services/ingress/gateway_metrics.h"

namespace callmesh::ingress {

GatewayMetrics::GatewayMetrics(IngressMetrics& m, const GatewaySets& sets) {
  static const char* kProbe[] = {"answered", "failed", "timeout"};
  static const char* kFailover[] = {"408", "500", "503", "no_answer"};
  for (const Gateway& g : sets.gateways()) {
    PerGateway p;
    p.up = &m.gateway_up_family.Add({{"set", g.set}, {"gateway", g.name}});
    for (size_t i = 0; i < p.probes.size(); ++i) {
      p.probes[i] = &m.gateway_probes_family.Add(
          {{"set", g.set}, {"gateway", g.name}, {"result", kProbe[i]}});
    }
    for (size_t i = 0; i < p.failovers.size(); ++i) {
      p.failovers[i] = &m.gateway_failovers_family.Add(
          {{"set", g.set}, {"gateway", g.name}, {"reason", kFailover[i]}});
    }
    per_gateway_.push_back(p);
  }
  for (const auto& [set, members] : sets.sets()) {
    per_set_.emplace_back(set, &m.gateway_set_up_family.Add({{"set", set}}));
  }
  publishHealth(sets);
}

void GatewayMetrics::publishHealth(const GatewaySets& sets) {
  for (size_t i = 0; i < per_gateway_.size(); ++i)
    per_gateway_[i].up->Set(sets.gateways()[i].health.up() ? 1 : 0);
  for (auto& [set, gauge] : per_set_) gauge->Set(static_cast<double>(sets.upCount(set)));
}

}  // namespace callmesh::ingress
