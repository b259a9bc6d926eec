#pragma once

#include <memory>
#include <string>

#include "shared/redis/redis_client.h"

struct redisContext;

namespace callmesh::redis {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int timeout_ms = 250;  // connect and per-command deadline
};

// RedisClient over hiredis 0.14 (blocking, with timeouts). A failed context is dropped and
// reconnected on the next command, so a Redis restart heals without restarting the service.
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

 private:
  Status ensureConnected();
  Error dropContext(const std::string& what);
  std::string where() const;

  RedisEndpoint endpoint_;
  redisContext* context_ = nullptr;
};

}  // namespace callmesh::redis
