// ClusterConfig: where Redis is (one server, Sentinel, Cluster, a Redis of its own for leases).
#include <gtest/gtest.h>

#include "shared/config/cluster_config.h"
#include "shared/config/cluster_config_test_data.h"

namespace callmesh::config {
namespace {

using test_data::kGood;

// issue 17: the limiter's leases may live in a Redis of their own, so records never block calls.
TEST(ClusterConfig, LeasesMayHaveTheirOwnRedis) {
  auto cfg = parseClusterConfig(std::string(kGood) + "redis_leases: {host: 10.0.0.9, port: 6380}\n",
                                "c.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_EQ(cfg->redis_leases.host, "10.0.0.9");
  EXPECT_EQ(cfg->redis_leases.port, 6380);
  EXPECT_EQ(cfg->redis_leases.timeout_ms, cfg->redis.timeout_ms);
  auto bad =
      parseClusterConfig(std::string(kGood) + "redis_leases: {port: 0, colour: red}\n", "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("redis_leases.colour: unknown key"), std::string::npos)
      << bad.error().message;
}

// Issue 18: Redis through Sentinel, per-service ACL users, replica acknowledgements.
TEST(ClusterConfig, RedisSentinelsAuthFilesAndReplicaAcks) {
  auto cfg = parseClusterConfig(R"(redis:
  sentinels: ["10.0.0.1:26379", "[2001:db8::1]:26380"]
  master_name: callmesh
  auth_files: {router: secrets/router, concurrency-limiter: /run/limiter}
  reconnect_min_ms: 20
  reconnect_max_ms: 400
router: {routing_file: routing.yaml}
)",
                                "/etc/callmesh/cluster.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  const auto& r = cfg->redis;
  ASSERT_EQ(r.sentinels.size(), 2u);
  EXPECT_EQ(r.sentinels[0].host, "10.0.0.1");
  EXPECT_EQ(r.sentinels[0].port, 26379);
  EXPECT_EQ(r.sentinels[1].host, "2001:db8::1");
  EXPECT_EQ(r.sentinels[1].port, 26380);
  EXPECT_EQ(r.master_name, "callmesh");
  EXPECT_EQ(r.auth_files.at("router"), "/etc/callmesh/secrets/router");
  EXPECT_EQ(r.auth_files.at("concurrency-limiter"), "/run/limiter");
  EXPECT_EQ(r.reconnect_min_ms, 20);
  EXPECT_EQ(r.reconnect_max_ms, 400);
  EXPECT_EQ(r.replica_acks, 1);  // with sentinels a replica must have claims and records
  EXPECT_EQ(cfg->limiter.failover_hold_ms, 15000);  // 1.5 x the default lease_renew_ms
}

TEST(ClusterConfig, RedisWithoutSentinelsWaitsForNoReplica) {
  auto cfg = parseClusterConfig("redis: {host: r, port: 6380}\nrouter: {routing_file: r.yaml}\n",
                                "c.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_EQ(cfg->redis.replica_acks, 0);
  EXPECT_TRUE(cfg->redis.sentinels.empty());
}

TEST(ClusterConfig, RedisSentinelMistakesAreReported) {
  for (const char* bad :
       {"redis: {sentinels: [\"host-without-port\"], master_name: m}\n",
        "redis: {sentinels: [\"h:1\"]}\n", "redis: {master_name: m}\n",
        "redis: {host: h, sentinels: [\"h:1\"], master_name: m}\n",
        "redis: {auth_files: {ingress: /x}}\n", "redis: {auth_files: [a]}\n",
        "redis: {reconnect_min_ms: 500, reconnect_max_ms: 100}\n",
        "redis: {sentinels: "
        "[\"a:1\",\"a:2\",\"a:3\",\"a:4\",\"a:5\",\"a:6\",\"a:7\",\"a:8\",\"a:9\","
        "\"a:10\"], master_name: m}\n"}) {
    auto cfg = parseClusterConfig(std::string(bad) + "router: {routing_file: r.yaml}\n", "c.yaml");
    EXPECT_FALSE(cfg.ok()) << bad;
    if (!cfg.ok()) {
      EXPECT_NE(cfg.error().message.find("redis."), std::string::npos) << bad;
    }
  }
}

// Issue 18 item 3: Redis Cluster seed nodes instead of host/port.
TEST(ClusterConfig, RedisClusterNodes) {
  auto cfg = parseClusterConfig(
      "redis: {cluster_nodes: [\"10.0.0.1:7000\", \"redis-1.redis:6379\"]}\n"
      "router: {routing_file: r.yaml}\n",
      "c.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  ASSERT_EQ(cfg->redis.cluster_nodes.size(), 2u);
  EXPECT_EQ(cfg->redis.cluster_nodes[0].host, "10.0.0.1");
  EXPECT_EQ(cfg->redis.cluster_nodes[0].port, 7000);
  EXPECT_EQ(cfg->redis.cluster_nodes[1].host, "redis-1.redis");
  EXPECT_EQ(cfg->redis_leases.cluster_nodes.size(), 2u);  // leases follow unless told otherwise
  for (const char* bad :
       {"redis: {cluster_nodes: [\"no-port\"]}\n", "redis: {host: h, cluster_nodes: [\"h:1\"]}\n",
        "redis: {sentinels: [\"h:1\"], master_name: m, cluster_nodes: [\"h:2\"]}\n"}) {
    auto c = parseClusterConfig(std::string(bad) + "router: {routing_file: r.yaml}\n", "c.yaml");
    EXPECT_FALSE(c.ok()) << bad;
    if (!c.ok()) {
      EXPECT_NE(c.error().message.find("redis.cluster_nodes"), std::string::npos) << bad;
    }
  }
}

}  // namespace
}  // namespace callmesh::config
