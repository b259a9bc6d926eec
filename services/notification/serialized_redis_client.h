#pragma once

#include <memory>
#include <mutex>

#include "shared/redis/redis_client.h"

namespace callmesh::notification {

// A RedisClient shared by the HTTP API's worker threads: one connection, one command at a time.
// hiredis contexts are not thread-safe (shared/redis/redis_client.h); every call here holds the
// lock for its round trip, and a script's lazily filled SHA is written under the same lock.
// Atomicity of claims does not depend on this lock: it comes from the Lua scripts.
class SerializedRedisClient final : public redis::RedisClient {
 public:
  explicit SerializedRedisClient(std::unique_ptr<redis::RedisClient>&& inner)
      : inner_(std::move(inner)) {}

  Result<redis::RedisReply> command(const std::vector<std::string>& argv) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return inner_->command(argv);
  }
  Result<std::vector<redis::RedisReply>> pipeline(
      const std::vector<std::vector<std::string>>& commands) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return inner_->pipeline(commands);
  }
  Result<redis::RedisReply> evalScript(redis::RedisScript& script,
                                       const std::vector<std::string>& keys,
                                       const std::vector<std::string>& args) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return inner_->evalScript(script, keys, args);
  }
  bool connected() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return inner_->connected();
  }
  uint64_t primaryEpoch() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return inner_->primaryEpoch();
  }
  bool clustered() const override { return inner_->clustered(); }  // fixed at construction

 private:
  mutable std::mutex mutex_;
  std::unique_ptr<redis::RedisClient> inner_;
};

}  // namespace callmesh::notification
