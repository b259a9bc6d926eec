#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <prometheus/registry.h>
#include <zmq.hpp>

#include "shared/config/cluster_config.h"
#include "shared/log/logger.h"
#include "shared/transport/endpoint_watcher.h"
#include "shared/transport/link_security.h"
#include "shared/transport/zap_authenticator.h"

namespace callmesh::runtime {

// A service's ZeroMQ side as every main() starts it: the context, the security of its links
// (cluster.yaml `zmq:`, keys from zmq.keys_dir) and, for a service that binds, its ZAP handler,
// counting handshakes in callmesh_zmq_handshakes_total{result="accepted|refused"}.
struct ServiceZmq {
  zmq::context_t context;
  transport::LinkSecurity security;
  // Declared after the context: destroyed before it (its socket must close for the context to).
  std::unique_ptr<transport::ZapAuthenticator> zap;

  // The concrete endpoints of a configured list, re-resolved every zmq.resolve_interval_ms.
  std::shared_ptr<transport::EndpointWatcher> watch(const std::vector<std::string>& endpoints);
  int resolve_interval_ms = 5000;
};

// nullptr after logging `startup_failed` (a missing or wrong key file names itself).
std::unique_ptr<ServiceZmq> startServiceZmq(const config::ClusterConfig& cfg,
                                            std::string_view service, bool serves,
                                            prometheus::Registry& registry, Logger& log);

// A service's bound socket (transport::ReplyServer, NoticePublisher) made with `args`; nullptr
// after logging `startup_failed` with the endpoint when it cannot bind (taken, or not an address
// of this host). The constructors throw zmq::error_t, which in main() was an abort
// ("terminate called after throwing ... Address already in use") naming nothing.
template <typename Bound, typename... Args>
std::unique_ptr<Bound> bindOrLog(Logger& log, const std::string& endpoint, Args&&... args) {
  try {
    return std::make_unique<Bound>(std::forward<Args>(args)...);
  } catch (const zmq::error_t& e) {
    log.error("startup_failed",
              {{"error", std::string("cannot bind: ") + e.what()}, {"endpoint", endpoint}});
    return nullptr;
  }
}

}  // namespace callmesh::runtime
