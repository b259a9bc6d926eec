#pragma once

#include <string>
#include <utility>
#include <vector>

#include "shared/redis/hiredis_client.h"

namespace callmesh::testing {

// A Redis failover as a service's client sees it, between two real redis-servers: commands go to
// the old primary until failOver(), then to the new one, and the move is counted in
// primaryEpoch() exactly as HiredisClient counts a reconnect to a different primary. What the new
// primary lacks (writes the old one acknowledged and had not replicated) is up to the test.
class FailingOverClient final : public redis::RedisClient {
 public:
  FailingOverClient(redis::RedisEndpoint old_primary, redis::RedisEndpoint new_primary)
      : old_(std::move(old_primary)), new_(std::move(new_primary)) {}

  void failOver() {
    current_ = &new_;
    ++epoch_;
  }
  // The move happens inside the next command, as when a command meets the broken connection and
  // its client reconnects to the new primary.
  void failOverDuringNextCommand() { switch_on_next_ = true; }

  Result<redis::RedisReply> command(const std::vector<std::string>& argv) override {
    maybeSwitch();
    return current_->command(argv);
  }
  Result<std::vector<redis::RedisReply>> pipeline(
      const std::vector<std::vector<std::string>>& commands) override {
    maybeSwitch();
    return current_->pipeline(commands);
  }
  Result<redis::RedisReply> evalScript(redis::RedisScript& script,
                                       const std::vector<std::string>& keys,
                                       const std::vector<std::string>& args) override {
    maybeSwitch();
    return current_->evalScript(script, keys, args);
  }
  bool connected() const override { return current_->connected(); }
  uint64_t primaryEpoch() const override { return epoch_; }

 private:
  void maybeSwitch() {
    if (!switch_on_next_) return;
    switch_on_next_ = false;
    failOver();
  }
  redis::HiredisClient old_;
  redis::HiredisClient new_;
  redis::HiredisClient* current_ = &old_;
  uint64_t epoch_ = 0;
  bool switch_on_next_ = false;
};

}  // namespace callmesh::testing
