#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "shared/redis/failover_policy.h"
#include "shared/redis/primary_connector.h"
#include "shared/redis/redis_client.h"

struct redisContext;

namespace callmesh::redis {

// RedisClient over hiredis 0.14 (blocking, with timeouts): the one owner of a service's Redis
// connection, used by every service. It connects to the primary (directly or through Sentinel,
// PrimaryConnector), logs in with the service's ACL user, and drops the connection when it breaks
// (I/O error, timeout) or answers like a demoted server (READONLY, LOADING, MASTERDOWN); the next
// command reconnects at once, and further failed connects wait a bounded exponential backoff
// with jitter (redis.reconnect_min_ms .. reconnect_max_ms) instead of paying the connect deadline
// on every call while a failover is under way.
class HiredisClient final : public RedisClient {
 public:
  explicit HiredisClient(RedisEndpoint endpoint);
  ~HiredisClient() override;
  HiredisClient(const HiredisClient&) = delete;
  HiredisClient& operator=(const HiredisClient&) = delete;

  Result<RedisReply> command(const std::vector<std::string>& argv) override;
  Result<std::vector<RedisReply>> pipeline(
      const std::vector<std::vector<std::string>>& commands) override;
  Result<RedisReply> evalScript(RedisScript& script, const std::vector<std::string>& keys,
                                const std::vector<std::string>& args) override;
  bool connected() const override { return context_ != nullptr; }
  uint64_t primaryEpoch() const override { return epoch_; }

 private:
  Status ensureConnected();
  Error dropContext(const std::string& what);

  PrimaryConnector connector_;
  redisContext* context_ = nullptr;
  std::minstd_rand jitter_;
  ReconnectBackoff backoff_;
  int64_t retry_at_ms_ = 0;  // steady ms before which no connect is tried
  bool had_primary_ = false;
  RedisAddress primary_;
  uint64_t epoch_ = 0;
};

}  // namespace callmesh::redis
