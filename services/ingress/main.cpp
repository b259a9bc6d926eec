// callmesh-ingress: SIP from gateways, proxied statefully under the cluster's decisions.
#include <cstdio>
#include <memory>

#include "services/ingress/name_resolution_guard.h"
#include "services/ingress/sip_proxy.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"
#include "shared/metrics/admin_server.h"
#include "shared/runtime/process_signals.h"
#include "shared/runtime/service_args.h"

using namespace callmesh;

int main(int argc, char** argv) {
  auto& signals = runtime::installProcessSignals();
  auto start = runtime::startService(argc, argv, "callmesh-ingress");
  if (!start) return 2;
  auto& args = start->args;
  auto& cfg = start->config;
  if (args.check_only) return 0;
  Logger log("ingress", parseLogLevel(cfg.ingress.log_level));
  // Names the ingress may resolve: only those in its own configuration (peers, Redis). Ring
  // targets from the router join the list when they are used (SipProxy::sendBranch).
  ingress::allowNameResolution(
      {ingress::hostOf(cfg.router.net.endpoint), ingress::hostOf(cfg.router.notices_endpoint),
       ingress::hostOf(cfg.limiter.net.endpoint), ingress::hostOf(cfg.presence.net.endpoint),
       ingress::hostOf(cfg.notification.net.endpoint), cfg.redis.host, cfg.ingress.sip_host,
       cfg.ingress.record_route_host});
  auto registry = std::make_shared<prometheus::Registry>();
  ingress::IngressMetrics metrics(*registry);
  SystemClock clock;
  // Without notices (decision_reuse_ms: 0) every call asks the router.
  ingress::ClusterPeers peers{
      cfg.router.net.endpoint,
      cfg.router.decision_reuse_ms > 0 ? cfg.router.notices_endpoint : std::string(),
      cfg.limiter.net.endpoint, cfg.presence.net.endpoint, cfg.notification.net.endpoint};
  ingress::SipProxy proxy(cfg, peers, metrics, log, clock);
  if (auto st = proxy.start(); !st.ok()) {
    log.error("startup_failed", {{"error", st.error().describe()}});
    return 1;
  }
  metrics::AdminServer admin(
      registry, [&] { return proxy.ready() ? std::string() : std::string("draining"); });
  if (auto st = admin.start(cfg.ingress.admin); !st.ok()) {
    log.error("startup_failed", {{"error", st.error().describe()}});
    return 1;
  }
  log.info("started", {{"sip", cfg.ingress.sip_host + ":" + std::to_string(cfg.ingress.sip_port)},
                       {"admin", cfg.ingress.admin}});
  proxy.run(signals.stop);
  log.info("stopped", {});
  return 0;
}
