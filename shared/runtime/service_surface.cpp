#include "shared/runtime/service_surface.h"

namespace callmesh::runtime {

metrics::AdminServer::ReadinessProbe readyWhileRedisHealthy(std::function<bool()> redis_healthy) {
  return [healthy = std::move(redis_healthy)] {
    return healthy() ? std::string() : std::string("redis unreachable");
  };
}

bool startAdmin(metrics::AdminServer& admin, const std::string& host_port, Logger& log) {
  auto st = admin.start(host_port);
  if (!st.ok()) log.error("startup_failed", {{"error", st.error().describe()}});
  return st.ok();
}

transport::ReplyServer::ErrorSink logDroppedRequests(Logger& log) {
  return [&log](std::string_view type, const Error& e) {
    log.warn("request_dropped", {{"type", type}, {"error", e.describe()}});
  };
}

}  // namespace callmesh::runtime
