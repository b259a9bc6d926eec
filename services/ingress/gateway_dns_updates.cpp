// Gateways given by DNS name (issue 21 point 3): the resolver thread (gateway_resolver.h) asks
// DNS per RFC 3263 for the names of the configuration alone; on each tick the SIP thread takes
// its answers into the sets' members. A member whose address changed forgets its probe in flight
// and is probed afresh; calls already on it keep their transaction. SipProxy's side.
#include "services/ingress/dns_lookup.h"
#include "services/ingress/sip_proxy.h"

namespace callmesh::ingress {

void SipProxy::startGatewayResolver() {
  const auto& names = gateway_sets_.dnsNames();
  if (names.empty()) return;
  const auto& g = config_.ingress.gateways;
  DnsServerSettings server{g.dns_server, g.dns_timeout_ms, g.dns_attempts};
  DnsCachePolicy policy;
  policy.retry_ms = g.dns_retry_ms;
  policy.stale_ms = g.dns_stale_ms;
  std::vector<GatewayName> queries;
  for (const auto& n : names) queries.push_back(n.query);
  Logger& log = log_;
  gateway_resolver_ = std::make_unique<GatewayResolver>(
      std::move(queries), policy,
      [server, &log]() -> std::unique_ptr<DnsLookup> {
        auto lookup = ResolvLookup::create(server);
        if (lookup.ok()) return std::move(*lookup);
        log.error("gateway_dns_unusable", {{"error", lookup.error().describe()}});
        return nullptr;
      },
      clock_);
  gateway_resolver_->start();
  log_.info("gateway_dns_started",
            {{"names", static_cast<int64_t>(names.size())},
             {"server", g.dns_server.empty() ? std::string("resolv.conf") : g.dns_server}});
}

void SipProxy::applyGatewayResolutions() {
  bool health_changed = false;
  for (NameUpdate& u : gateway_resolver_->takeUpdates()) {
    const auto& name = gateway_sets_.dnsNames()[u.name];
    gateway_metrics_.resolved(u.name, u.resolved, u.failed, u.targets.size(), u.stale);
    if (u.failed > 0) {
      log_.warn("gateway_dns_failed", {{"set", name.set},
                                       {"gateway", name.name},
                                       {"error", u.last_error},
                                       {"targets_kept", static_cast<int64_t>(u.targets.size())},
                                       {"stale", static_cast<int64_t>(u.stale)}});
    }
    std::vector<size_t> changed = gateway_sets_.applyResolution(u.name, u.targets);
    for (size_t i : changed) {
      if (i < probes_.size()) probes_[i]->orq.reset();  // its answer would be the old address's
      const Gateway& gw = gateway_sets_.gateways()[i];
      log_.warn("gateway_dns_member", {{"set", gw.set},
                                       {"gateway", gw.name},
                                       {"target", gw.active ? gw.host_port : std::string()},
                                       {"transport", gw.transport},
                                       {"priority", gw.priority},
                                       {"weight", static_cast<int64_t>(gw.weight)},
                                       {"ttl_s", static_cast<int64_t>(u.ttl)}});
    }
    health_changed = health_changed || !changed.empty();
  }
  if (health_changed) gateway_metrics_.publishHealth(gateway_sets_);
}

}  // namespace callmesh::ingress
