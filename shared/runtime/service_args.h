#pragma once

#include <memory>
#include <optional>
#include <string>

#include <prometheus/registry.h>
#include "shared/base/result.h"

#include "shared/config/cluster_config.h"
#include "shared/redis/hiredis_client.h"

namespace callmesh::runtime {

// What every service binary takes on its command line.
struct ServiceArgs {
  std::string config_path;  // --config FILE (cluster.yaml)
  bool check_only = false;  // --check: validate the config and exit
};

// Parses argv; the error text is a usage line naming the bad argument.
Result<ServiceArgs> parseServiceArgs(int argc, char** argv, const std::string& program);

// What every service's main() starts from: its arguments and the cluster config they name.
struct ServiceStart {
  ServiceArgs args;
  config::ClusterConfig config;
  // Where the service's metrics are registered; the admin server exports it.
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  // The Redis server of cluster.yaml, as the hiredis client takes it.
  redis::RedisEndpoint redisEndpoint() const {
    return {config.redis.host, config.redis.port, config.redis.timeout_ms};
  }
  // Where the slot leases are (cluster.yaml `redis_leases`, else `redis`).
  redis::RedisEndpoint leasesRedisEndpoint() const {
    const auto& l = config.redis_leases;
    return {l.host, l.port, l.timeout_ms};
  }
  bool leasesRedisSeparate() const {
    return config.redis_leases.host != config.redis.host ||
           config.redis_leases.port != config.redis.port;
  }
};

// Parses argv and loads cluster.yaml. On a mistake it prints it to stderr (a usage line, or
// every `file:line: key: what is wrong`) and returns nullopt: main() then exits with status 2.
std::optional<ServiceStart> startService(int argc, char** argv, const std::string& program);

}  // namespace callmesh::runtime
