#include "shared/runtime/service_zmq.h"

#include <prometheus/counter.h>

#include "shared/transport/service_context.h"

namespace callmesh::runtime {

std::shared_ptr<transport::EndpointWatcher> ServiceZmq::watch(
    const std::vector<std::string>& endpoints) {
  return std::make_shared<transport::EndpointWatcher>(endpoints, resolve_interval_ms);
}

std::unique_ptr<ServiceZmq> startServiceZmq(const config::ClusterConfig& cfg,
                                            std::string_view service, bool serves,
                                            prometheus::Registry& registry, Logger& log) {
  auto security = transport::LinkSecurity::load(cfg.zmq, service);
  if (!security.ok()) {
    log.error("startup_failed", {{"error", security.error().describe()}});
    return nullptr;
  }
  if (!security->curve()) {
    log.warn("zmq_curve_off", {{"effect", std::string("any peer that reaches a ZeroMQ port is "
                                                      "served: zmq.curve: off is for labs only")}});
  }
  auto zmq = std::unique_ptr<ServiceZmq>(
      new ServiceZmq{transport::serviceContext(), std::move(security.value()), nullptr});
  zmq->resolve_interval_ms = cfg.zmq.resolve_interval_ms;
  if (serves) {
    auto& family = prometheus::BuildCounter()
                       .Name("callmesh_zmq_handshakes_total")
                       .Help("CURVE handshakes checked by this service's ZAP handler, by result")
                       .Register(registry);
    auto& accepted = family.Add({{"result", "accepted"}});
    auto& refused = family.Add({{"result", "refused"}});
    // Counted, not logged: a peer retrying its handshake every 100 ms would flood the log.
    zmq->zap = zmq->security.startAuthenticator(zmq->context,
                                                [&accepted, &refused](bool ok, std::string_view) {
                                                  (ok ? accepted : refused).Increment();
                                                });
  }
  return zmq;
}

}  // namespace callmesh::runtime
