// issue 17 item 2: the notification API's bounds come from flat api_* keys with defaults, and a
// value that would make the API unusable or self-contradictory is refused naming the key.
#include "shared/config/api_limit_settings.h"

#include <gtest/gtest.h>

namespace callmesh::config {
namespace {

constexpr const char* kBase = "router:\n  routing_file: r.yaml\n";

TEST(ApiLimitSettings, DefaultsWhenAbsent) {
  auto cfg = parseClusterConfig(kBase, "/etc/callmesh/cluster.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  const auto& l = cfg->notification.api_limits;
  EXPECT_EQ(l.streams_per_agent, 8);
  EXPECT_EQ(l.streams_max, 10000);
  EXPECT_EQ(l.connections_max, 12000);
  EXPECT_EQ(l.header_limit_bytes, 8192);
  EXPECT_EQ(l.body_limit_bytes, 65536);
  EXPECT_EQ(l.read_timeout_ms, 10000);
  EXPECT_EQ(l.rate_per_s, 20);
  EXPECT_EQ(l.rate_burst, 100);
  EXPECT_EQ(l.auth_failures_burst, 10);
  EXPECT_EQ(l.auth_failures_per_min, 10);
}

TEST(ApiLimitSettings, ReadsEachKey) {
  auto cfg = parseClusterConfig(std::string(kBase) + R"(notification:
  api_streams_per_agent: 3
  api_streams_max: 500
  api_connections_max: 600
  api_header_limit_bytes: 4096
  api_body_limit_bytes: 2048
  api_read_timeout_ms: 1000
  api_idle_timeout_ms: 5000
  api_rate_per_s: 2
  api_rate_burst: 5
  api_auth_failures_burst: 3
  api_auth_failures_per_min: 6
  api_stream_queue_bytes: 16384
  api_stream_keepalive_ms: 1000
  api_stream_threads: 3
  api_workers: 4
  api_queue: 64
)",
                                "/etc/callmesh/cluster.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  const auto& l = cfg->notification.api_limits;
  EXPECT_EQ(l.streams_per_agent, 3);
  EXPECT_EQ(l.streams_max, 500);
  EXPECT_EQ(l.connections_max, 600);
  EXPECT_EQ(l.header_limit_bytes, 4096);
  EXPECT_EQ(l.body_limit_bytes, 2048);
  EXPECT_EQ(l.read_timeout_ms, 1000);
  EXPECT_EQ(l.idle_timeout_ms, 5000);
  EXPECT_EQ(l.rate_per_s, 2);
  EXPECT_EQ(l.rate_burst, 5);
  EXPECT_EQ(l.auth_failures_burst, 3);
  EXPECT_EQ(l.auth_failures_per_min, 6);
  EXPECT_EQ(l.stream_queue_bytes, 16384);
  EXPECT_EQ(l.stream_keepalive_ms, 1000);
  EXPECT_EQ(l.stream_threads, 3);
  EXPECT_EQ(l.workers, 4);
  EXPECT_EQ(l.queue, 64);
}

TEST(ApiLimitSettings, RefusesZeroCapsAndContradictions) {
  auto zero = parseClusterConfig(std::string(kBase) + "notification:\n  api_streams_per_agent: 0\n",
                                 "c.yaml");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message.find("notification.api_streams_per_agent"), std::string::npos)
      << zero.error().message;
  auto more = parseClusterConfig(std::string(kBase) +
                                     "notification:\n  api_streams_max: 20000\n"
                                     "  api_connections_max: 15000\n",
                                 "c.yaml");
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.error().message.find("must not exceed api_connections_max"), std::string::npos)
      << more.error().message;
}

}  // namespace
}  // namespace callmesh::config
