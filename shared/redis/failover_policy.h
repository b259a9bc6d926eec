#pragma once

// The pure half of following a Redis primary through a Sentinel failover: which replies mean
// "this connection is no longer on a writable primary", how Sentinel's and ROLE's answers read,
// and how long to wait between reconnect attempts. No sockets and no clock here, so unit tests
// drive every case (failover_policy_test.cpp); HiredisClient and PrimaryConnector apply them.
#include <cstdint>
#include <functional>
#include <string>

#include "shared/base/result.h"
#include "shared/redis/redis_reply.h"

namespace callmesh::redis {

struct RedisAddress {
  std::string host;
  int port = 0;
  bool operator==(const RedisAddress& o) const { return host == o.host && port == o.port; }
  bool operator!=(const RedisAddress& o) const { return !(*this == o); }
  std::string text() const { return host + ":" + std::to_string(port); }
};

// An error reply after which the connection must be dropped and the primary found again:
// READONLY (we write to a replica: a failover demoted our server), LOADING (the server is
// restarting from disk), MASTERDOWN (a replica lost its primary). Other error replies (a script
// error, WRONGTYPE, NOPERM) are answers, not failovers: the connection stays.
bool demandsReconnect(const RedisReply& reply);

// ROLE's reply says this server is a primary ("master"): after a failover Sentinel may name the
// old primary for a moment, or a restarted old primary comes back as a replica.
bool isPrimaryRole(const RedisReply& reply);

// SENTINEL get-master-addr-by-name's reply: ["host", "port"], or nil when Sentinel does not
// know the name (InvalidInput: a config mistake, never a transient error).
Result<RedisAddress> primaryFromSentinelReply(const RedisReply& reply,
                                              const std::string& master_name);

// Bounded exponential backoff with jitter between failed connect attempts: the n-th consecutive
// failure (n >= 1) waits min(max, min * 2^(n-1)) scaled by a factor in [0.5, 1.0) ("equal
// jitter"), so replicas of a service that lost Redis together do not reconnect in lock step.
// `unit` returns a uniform value in [0, 1); tests pass a fixed one.
class ReconnectBackoff {
 public:
  ReconnectBackoff(int64_t min_ms, int64_t max_ms, std::function<double()> unit);

  // A connect attempt failed: how long to wait before the next one.
  int64_t failed();
  // A connect attempt succeeded: the next failure starts from min again.
  void succeeded() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  int64_t min_ms_;
  int64_t max_ms_;
  std::function<double()> unit_;
  int failures_ = 0;
};

}  // namespace callmesh::redis
