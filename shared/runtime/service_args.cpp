#include "shared/runtime/service_args.h"

#include <cstdio>
#include <string_view>

namespace callmesh::runtime {

Result<ServiceArgs> parseServiceArgs(int argc, char** argv, const std::string& program) {
  ServiceArgs args;
  const std::string usage = "usage: " + program + " --config cluster.yaml [--check]";
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      args.config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      args.config_path = std::string(a.substr(9));
    } else if (a == "--check") {
      args.check_only = true;
    } else {
      return invalidInput("unknown argument '" + std::string(a) + "'; " + usage);
    }
  }
  if (args.config_path.empty()) return invalidInput("missing --config; " + usage);
  return args;
}

std::optional<ServiceStart> startService(int argc, char** argv, const std::string& program) {
  auto args = parseServiceArgs(argc, argv, program);
  if (!args.ok()) {
    std::fprintf(stderr, "%s\n", args.error().describe().c_str());
    return std::nullopt;
  }
  auto cfg = config::loadClusterConfig(args->config_path);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.error().describe().c_str());
    return std::nullopt;
  }
  ServiceStart start;
  start.args = std::move(args.value());
  start.config = std::move(cfg.value());
  start.service = program.rfind("callmesh-", 0) == 0 ? program.substr(9) : program;
  auto file = start.config.redis.auth_files.find(start.service);
  if (!start.args.check_only && file != start.config.redis.auth_files.end()) {
    auto creds = redis::loadCredentials(file->second);
    if (!creds.ok()) {
      std::fprintf(stderr, "redis.auth_files.%s: %s\n", start.service.c_str(),
                   creds.error().describe().c_str());
      return std::nullopt;
    }
    start.redis_credentials = std::move(creds.value());
  }
  return start;
}

namespace {
redis::RedisEndpoint endpointOf(const config::RedisSettings& r,
                                const redis::RedisCredentials& credentials) {
  redis::RedisEndpoint e;
  e.host = r.host;
  e.port = r.port;
  e.timeout_ms = r.timeout_ms;
  for (const auto& s : r.sentinels) e.sentinels.push_back({s.host, s.port});
  e.master_name = r.master_name;
  for (const auto& n : r.cluster_nodes) e.cluster_nodes.push_back({n.host, n.port});
  e.credentials = credentials;
  e.reconnect_min_ms = r.reconnect_min_ms;
  e.reconnect_max_ms = r.reconnect_max_ms;
  return e;
}
}  // namespace

redis::RedisEndpoint ServiceStart::redisEndpoint() const {
  return endpointOf(config.redis, redis_credentials);
}

redis::RedisEndpoint ServiceStart::leasesRedisEndpoint() const {
  return endpointOf(config.redis_leases, redis_credentials);
}

bool ServiceStart::leasesRedisSeparate() const {
  const auto& r = config.redis;
  const auto& l = config.redis_leases;
  if (l.master_name != r.master_name || l.sentinels.size() != r.sentinels.size()) return true;
  if (l.cluster_nodes.size() != r.cluster_nodes.size()) return true;
  for (size_t i = 0; i < l.cluster_nodes.size(); ++i) {
    if (l.cluster_nodes[i].host != r.cluster_nodes[i].host ||
        l.cluster_nodes[i].port != r.cluster_nodes[i].port)
      return true;
  }
  if (!l.cluster_nodes.empty()) return false;
  for (size_t i = 0; i < l.sentinels.size(); ++i) {
    if (l.sentinels[i].host != r.sentinels[i].host || l.sentinels[i].port != r.sentinels[i].port)
      return true;
  }
  return l.sentinels.empty() && (l.host != r.host || l.port != r.port);
}

}  // namespace callmesh::runtime
