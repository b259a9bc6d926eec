#include "shared/config/cluster_config.h"

#include <gtest/gtest.h>

namespace callmesh::config {
namespace {

constexpr const char* kGood = R"(redis:
  host: 127.0.0.1
  port: 6390
ingress:
  sip_host: 127.0.0.1
  sip_port: 5070
  trusted_sources: ["127.0.0.0/8"]
router:
  bind: tcp://127.0.0.1:7001
  routing_file: routing.yaml
concurrency_limiter:
  default_cap: 50
  caps:
    "+15550100": 60
)";

TEST(ClusterConfig, ParsesGoodFileAndAppliesDefaults) {
  auto cfg = parseClusterConfig(kGood, "/etc/callmesh/cluster.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_EQ(cfg->redis.port, 6390);
  EXPECT_EQ(cfg->ingress.sip_port, 5070);
  EXPECT_EQ(cfg->router.routing_file, "/etc/callmesh/routing.yaml");
  EXPECT_EQ(cfg->router.net.endpoint, "tcp://127.0.0.1:7001");  // endpoint defaults to bind
  EXPECT_EQ(cfg->limiter.default_cap, 50);
  EXPECT_EQ(cfg->limiter.caps.at("+15550100"), 60);
  EXPECT_EQ(cfg->limiter.lease_ms, 30000);
  EXPECT_EQ(cfg->notification.net.bind, "tcp://127.0.0.1:7004");
}

TEST(ClusterConfig, UnknownKeyNamesFileLineAndKey) {
  auto cfg = parseClusterConfig("router:\n  routing_file: r.yaml\n  bnid: tcp://x:1\n", "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message, "c.yaml:3: router.bnid: unknown key");
}

TEST(ClusterConfig, OutOfRangeValueSaysTheRange) {
  auto cfg =
      parseClusterConfig("router:\n  routing_file: r.yaml\nredis:\n  port: 70000\n", "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message, "c.yaml:4: redis.port: must be between 1 and 65535 (got 70000)");
}

TEST(ClusterConfig, MissingRequiredKey) {
  auto cfg = parseClusterConfig("router:\n  bind: tcp://127.0.0.1:1\n", "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message, "c.yaml:2: router.routing_file: is required");
}

TEST(ClusterConfig, ReportsEveryMistakeAtOnce) {
  auto cfg = parseClusterConfig(
      "router:\n  routing_file: r.yaml\n  bind: nonsense\n"
      "concurrency_limiter:\n  caps:\n    \"5550100\": 3\n    \"+15550101\": lots\n"
      "ingress:\n  trusted_sources: [\"10.0.0.0/99\"]\n",
      "c.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_NE(m.find("c.yaml:3: router.bind: must be a ZeroMQ endpoint"), std::string::npos) << m;
  EXPECT_NE(m.find("c.yaml:6: concurrency_limiter.caps.5550100: number must be E.164"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("c.yaml:7: concurrency_limiter.caps.+15550101: cap must be a whole number"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("c.yaml:9: ingress.trusted_sources: '10.0.0.0/99' is not a CIDR"),
            std::string::npos)
      << m;
}

TEST(ClusterConfig, YamlSyntaxErrorHasLine) {
  auto cfg = parseClusterConfig("router:\n  routing_file: [unclosed\n", "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().context.rfind("c.yaml:", 0), 0u);
  EXPECT_NE(cfg.error().message.find("YAML syntax"), std::string::npos);
}

TEST(ClusterConfig, SectionThatIsNotAMapping) {
  auto cfg = parseClusterConfig("router: 5\n", "c.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message.find("c.yaml:1: router: must be a mapping"), std::string::npos)
      << cfg.error().message;
}

TEST(ClusterConfig, MissingFileIsNotFound) {
  auto cfg = loadClusterConfig("/nonexistent/cluster.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(cfg.error().context, "/nonexistent/cluster.yaml");
}

}  // namespace
}  // namespace callmesh::config
