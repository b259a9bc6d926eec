#pragma once

#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/failover_policy.h"
#include "shared/redis/redis_credentials.h"

struct redisContext;

namespace callmesh::redis {

// Where a service's Redis is and how to log in (cluster.yaml `redis:`, docs/redis-failover.md).
struct RedisEndpoint {
  RedisEndpoint() = default;
  // One server without AUTH (tests, tools): the shape every caller used before Sentinel.
  RedisEndpoint(std::string h, int p, int timeout)
      : host(std::move(h)), port(p), timeout_ms(timeout) {}

  std::string host = "127.0.0.1";
  int port = 6379;
  int timeout_ms = 250;  // connect and per-command deadline
  // Non-empty: host/port are ignored; the primary of `master_name` is asked of these sentinels.
  std::vector<RedisAddress> sentinels;
  std::string master_name;
  // Non-empty: a Redis Cluster; these are the seed nodes asked for the slot map (ClusterClient).
  std::vector<RedisAddress> cluster_nodes;
  RedisCredentials credentials;  // empty user: no AUTH
  int reconnect_min_ms = 50;     // first wait after a failed connect
  int reconnect_max_ms = 1000;   // the wait never grows past this
};

// Opens a connection to the current primary: straight to host:port, or through Sentinel (each
// sentinel in turn until one names the primary, then `ROLE` on the primary to check it is one:
// during a failover Sentinel can still name the old primary, and an old primary that restarts
// comes back as a replica). Authenticates with the service's ACL user on every connection. The
// sentinel that answered last is asked first next time.
class PrimaryConnector {
 public:
  explicit PrimaryConnector(RedisEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

  // A connected, authenticated context on a primary (the caller owns it), or why not.
  Result<redisContext*> connect();
  // The primary of the last successful connect (host:port for a direct endpoint).
  const RedisAddress& primary() const { return primary_; }
  const RedisEndpoint& endpoint() const { return endpoint_; }
  // "redis host:port" or "redis master <name> via sentinels", for error contexts.
  std::string where() const;

 private:
  Result<RedisAddress> askSentinels();

  RedisEndpoint endpoint_;
  RedisAddress primary_;
  size_t next_sentinel_ = 0;
};

}  // namespace callmesh::redis
