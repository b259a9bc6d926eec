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
  // The service's name without "callmesh-" (router, concurrency-limiter, ...): its key in
  // redis.auth_files.
  std::string service;
  // Its Redis ACL user, read from redis.auth_files at start (empty: no AUTH).
  redis::RedisCredentials redis_credentials;
  // The Redis of cluster.yaml (a server, or the primary found through Sentinel) with this
  // service's credentials, as the hiredis client takes it.
  redis::RedisEndpoint redisEndpoint() const;
  // Where the slot leases are (cluster.yaml `redis_leases`, else `redis`), with the same
  // credentials.
  redis::RedisEndpoint leasesRedisEndpoint() const;
  bool leasesRedisSeparate() const;
};

// Parses argv, loads cluster.yaml and, unless --check, the service's Redis credentials. On a
// mistake it prints it to stderr (a usage line, or every `file:line: key: what is wrong`) and
// returns nullopt: main() then exits with status 2.
std::optional<ServiceStart> startService(int argc, char** argv, const std::string& program);

}  // namespace callmesh::runtime
