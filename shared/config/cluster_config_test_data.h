#pragma once

// The smallest good cluster.yaml the ClusterConfig tests start from (cluster_config_test.cpp,
// cluster_config_redis_test.cpp, cluster_config_notification_test.cpp).
namespace callmesh::config::test_data {

inline constexpr const char* kGood = R"(redis:
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

}  // namespace callmesh::config::test_data
