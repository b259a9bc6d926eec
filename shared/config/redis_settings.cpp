#include "shared/config/redis_settings.h"

#include <array>

namespace callmesh::config {

namespace {

// Sentinel deployments run three or five; the bound keeps one bad list from turning every
// reconnect into dozens of connect deadlines.
constexpr size_t kMaxSentinels = 9;
// Seeds are only asked for the slot map; the masters are learnt from it.
constexpr size_t kMaxClusterSeeds = 16;
constexpr std::array<const char*, 4> kRedisServices{"router", "concurrency-limiter",
                                                    "agent-presence", "notification"};

}  // namespace

bool isRedisService(const std::string& name) {
  for (const char* s : kRedisServices) {
    if (name == s) return true;
  }
  return false;
}

void readRedisSettings(YamlMap& m, const std::string& file_name, RedisSettings& r) {
  bool direct = m.has("host") || m.has("port");
  r.host = m.string("host", r.host);
  r.port = static_cast<int>(m.integer("port", r.port, 1, 65535));
  r.timeout_ms = static_cast<int>(m.integer("timeout_ms", r.timeout_ms, 1, 60000));
  for (const auto& text : m.stringList("sentinels")) {
    RedisSettings::Address a;
    if (!splitHostPort(text, a.host, a.port)) {
      m.error("sentinels", "'" + text + "' is not host:port");
      continue;
    }
    r.sentinels.push_back(a);
  }
  if (r.sentinels.size() > kMaxSentinels)
    m.error("sentinels", "at most " + std::to_string(kMaxSentinels) + " sentinels");
  for (const auto& text : m.stringList("cluster_nodes")) {
    RedisSettings::Address a;
    if (!splitHostPort(text, a.host, a.port)) {
      m.error("cluster_nodes", "'" + text + "' is not host:port");
      continue;
    }
    r.cluster_nodes.push_back(a);
  }
  if (r.cluster_nodes.size() > kMaxClusterSeeds)
    m.error("cluster_nodes", "at most " + std::to_string(kMaxClusterSeeds) + " seed nodes");
  if (!r.cluster_nodes.empty() && (direct || !r.sentinels.empty()))
    m.error("cluster_nodes", "give one of host/port, sentinels or cluster_nodes");
  r.master_name = m.string("master_name", "");
  if (!r.sentinels.empty() && r.master_name.empty())
    m.error("master_name", "required with sentinels (the name in `sentinel monitor`)");
  if (r.sentinels.empty() && !r.master_name.empty())
    m.error("master_name", "only meaningful with sentinels");
  if (!r.sentinels.empty() && direct)
    m.error("sentinels", "give either host/port or sentinels + master_name, not both");
  YAML::Node files = m.child("auth_files");
  if (files.IsDefined() && !files.IsNull()) {
    if (!files.IsMap()) {
      m.error("auth_files", "must map service names to user:password files");
    } else {
      for (auto it = files.begin(); it != files.end(); ++it) {
        std::string service = it->first.Scalar();
        if (!isRedisService(service)) {
          m.errors().add(it->first, m.keyPath("auth_files") + "." + service,
                         "not a service that uses Redis (router, concurrency-limiter, "
                         "agent-presence, notification)");
          continue;
        }
        if (!it->second.IsScalar() || it->second.Scalar().empty()) {
          m.errors().add(it->second, m.keyPath("auth_files") + "." + service,
                         "must be a file path");
          continue;
        }
        r.auth_files[service] = resolveRelative(file_name, it->second.Scalar());
      }
    }
  }
  r.reconnect_min_ms =
      static_cast<int>(m.integer("reconnect_min_ms", r.reconnect_min_ms, 1, 60000));
  r.reconnect_max_ms =
      static_cast<int>(m.integer("reconnect_max_ms", r.reconnect_max_ms, 1, 600000));
  if (r.reconnect_max_ms < r.reconnect_min_ms)
    m.error("reconnect_max_ms", "must be at least reconnect_min_ms");
  r.replica_acks = static_cast<int>(m.integer("replica_acks", r.sentinels.empty() ? 0 : 1, 0, 16));
  r.replica_ack_timeout_ms =
      static_cast<int>(m.integer("replica_ack_timeout_ms", r.replica_ack_timeout_ms, 1, 60000));
}

}  // namespace callmesh::config
