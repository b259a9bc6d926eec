#include "shared/runtime/service_surface.h"

#include <gtest/gtest.h>

#include "shared/runtime/service_zmq.h"
#include "shared/transport/link_security.h"
#include "shared/transport/reply_server.h"

namespace callmesh::runtime {
namespace {

TEST(ServiceSurface, ReadyOnlyWhileRedisIsHealthyAndSaysWhyNot) {
  bool healthy = true;
  auto probe = readyWhileRedisHealthy([&] { return healthy; });
  EXPECT_EQ(probe(), "");
  healthy = false;
  EXPECT_EQ(probe(), "redis unreachable");
}

TEST(ServiceSurface, AFailedAdminStartIsReportedAsFalse) {
  Logger log("runtime-test", LogLevel::Error);
  metrics::AdminServer admin(std::make_shared<prometheus::Registry>(),
                             [] { return std::string(); });
  EXPECT_FALSE(startAdmin(admin, "not-an-address", log));
}

// A service whose endpoint is taken gets nullptr (main() logs startup_failed naming the endpoint
// and exits 1) instead of an uncaught zmq::error_t aborting it (seen: a router replica whose
// port a Redis Cluster bus took, e2e_redis_cluster).
TEST(ServiceSurface, ABindToATakenEndpointIsNullNotAnAbort) {
  Logger log("runtime-test", LogLevel::Error);
  zmq::context_t context;
  const std::string endpoint = "inproc://runtime-test-taken";
  auto first = bindOrLog<transport::ReplyServer>(log, endpoint, context, endpoint,
                                                 transport::SocketSecurity{});
  ASSERT_NE(first, nullptr);
  auto second = bindOrLog<transport::ReplyServer>(log, endpoint, context, endpoint,
                                                  transport::SocketSecurity{});
  EXPECT_EQ(second, nullptr);
}

}  // namespace
}  // namespace callmesh::runtime
