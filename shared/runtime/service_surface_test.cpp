#include "shared/runtime/service_surface.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace callmesh::runtime
