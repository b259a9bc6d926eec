#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <prometheus/registry.h>

#include "shared/base/result.h"

namespace httplib {
class Server;
}

namespace callmesh::metrics {

// The admin HTTP surface every service exposes on its own port:
//   GET /metrics  Prometheus text format from the service's registry, plus the process_* metrics
//                 (ProcessCollector: CPU, memory, file descriptors from /proc/self)
//   GET /healthz  200 while the process runs its loop (liveness)
//   GET /readyz   200 when the service can do its job now (readiness), else 503 with the reason
// Runs on its own thread; handlers only read atomics and the thread-safe registry.
class AdminServer {
 public:
  using ReadinessProbe = std::function<std::string()>;  // empty string = ready, else the reason

  AdminServer(std::shared_ptr<prometheus::Registry> registry, ReadinessProbe readiness);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds host:port (port 0 picks a free one) and starts serving. Errors name the address.
  Status start(const std::string& host_port);
  void stop();
  int port() const { return port_; }
  // Extra routes (e.g. a service's JSON API) are added before start().
  httplib::Server& http() { return *server_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  ReadinessProbe readiness_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace callmesh::metrics
