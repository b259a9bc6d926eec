#include "services/ingress/gateway_sets.h"

namespace callmesh::ingress {

namespace {

std::string hostPort(const std::string& host, int port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

std::string probeUri(const std::string& host_port, const std::string& transport) {
  return "sip:" + host_port + (transport.empty() ? "" : ";transport=" + transport);
}

}  // namespace

GatewaySets::GatewaySets(const config::GatewaySetSettings& s)
    : policy_{s.probe_interval_ms, s.probe_timeout_ms, s.failures_before_down,
              s.successes_before_up} {
  for (const auto& [set, entries] : s.sets) {
    for (const auto& e : entries) {
      int64_t tier = static_cast<int64_t>(e.priority) * 65536;
      if (!config::gatewayHostIsName(e.host)) {
        std::string host_port = hostPort(e.host, e.port);
        members_[set].push_back(gateways_.size());
        std::string probe = probeUri(host_port, e.transport);
        gateways_.push_back(Gateway{set, e.name, host_port, e.transport, probe, "", probe, tier,
                                    e.weight, GatewayHealth(policy_), true, -1});
        continue;
      }
      // A name: its members wait, inactive, for the resolver's first answer.
      DnsName dns{set,
                  e.name,
                  GatewayName{e.host, e.port_set ? e.port : 0, e.transport, s.dns_max_targets},
                  {}};
      for (int k = 0; k < s.dns_max_targets; ++k) {
        dns.members.push_back(gateways_.size());
        members_[set].push_back(gateways_.size());
        gateways_.push_back(Gateway{set, e.name + "/" + std::to_string(k), "", "", "", "", "", tier,
                                    0, GatewayHealth(policy_), false,
                                    static_cast<int>(dns_.size())});
      }
      dns_.push_back(std::move(dns));
    }
  }
}

std::vector<size_t> GatewaySets::applyResolution(size_t dns_name,
                                                 const std::vector<ResolvedTarget>& targets) {
  std::vector<size_t> changed;
  if (dns_name >= dns_.size()) return changed;
  const auto& members = dns_[dns_name].members;
  auto same = [](const Gateway& g, const ResolvedTarget& t) {
    return g.active && g.host_port == hostPort(t.address, t.port) && g.transport == t.transport;
  };
  auto place = [](Gateway& g, const ResolvedTarget& t) {
    // Priority and weight follow the answer even for an address kept: only health stays.
    g.priority = g.priority - g.priority % 65536 + t.priority;
    g.weight = t.weight;
  };
  // An address still in the answer keeps its member and its health, whatever its new rank.
  std::vector<bool> placed(targets.size(), false), kept(members.size(), false);
  for (size_t k = 0; k < members.size(); ++k) {
    for (size_t t = 0; t < targets.size(); ++t) {
      if (placed[t] || !same(gateways_[members[k]], targets[t])) continue;
      place(gateways_[members[k]], targets[t]);
      placed[t] = kept[k] = true;
      break;
    }
  }
  size_t next = 0;
  for (size_t k = 0; k < members.size(); ++k) {
    if (kept[k]) continue;
    Gateway& g = gateways_[members[k]];
    while (next < targets.size() && placed[next]) ++next;
    bool was_active = g.active;
    g.health = GatewayHealth(policy_);  // a new address (or none) starts up and unprobed
    if (next >= targets.size()) {
      g.active = false;
      g.host_port.clear();
      if (was_active) changed.push_back(members[k]);
      continue;
    }
    const ResolvedTarget& t = targets[next];
    placed[next] = true;
    place(g, t);
    g.active = true;
    g.host_port = hostPort(t.address, t.port);
    g.transport = t.transport;
    g.probe_uri = probeUri(g.host_port, t.transport);
    g.server_name = t.server_name;
    g.route_uri = gatewayRouteUri(g.host_port, t.transport, t.server_name);
    changed.push_back(members[k]);
  }
  return changed;
}

std::vector<size_t> GatewaySets::candidates(const std::string& set, const Draw& draw) const {
  auto it = members_.find(set);
  if (it == members_.end()) return {};
  std::vector<GatewayRank> ranks;
  for (size_t i : it->second) {
    const Gateway& g = gateways_[i];
    ranks.push_back(GatewayRank{g.priority, g.weight, g.active && g.health.up()});
  }
  std::vector<size_t> order;
  for (size_t k : orderGateways(ranks, draw)) order.push_back(it->second[k]);
  return order;
}

size_t GatewaySets::upCount(const std::string& set) const {
  auto it = members_.find(set);
  if (it == members_.end()) return 0;
  size_t up = 0;
  for (size_t i : it->second) up += gateways_[i].active && gateways_[i].health.up() ? 1 : 0;
  return up;
}

}  // namespace callmesh::ingress
