#pragma once

#include <cstdint>
#include <string>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"

namespace callmesh::agent_presence {

// Live line state derived from call events, kept in Redis so it survives a restart and every
// replica sees the same thing. Each transition is one Lua script that checks the call's own
// record first, so a redelivered event (at-least-once delivery) changes nothing.
//
// Keys (hash tags keep one call's or one agent's keys in one Redis Cluster slot):
//   cm:call:{<call-id>}:presence  hash: number, state, answered_by, ended   (expires 1 h after end)
//   cm:agent:{<agent-id>}          hash: on_call, ringing, availability, changed_at_ms
//   cm:number:{<number>}:oncall    set of call ids on a call to that number now
class PresenceLedger {
 public:
  explicit PresenceLedger(redis::RedisClient& redis) : redis_(redis) {}

  Status offered(const std::string& call_id, const std::string& number, int64_t at_ms);
  Status answered(const std::string& call_id, const std::string& agent_id, int64_t at_ms);
  Status ended(const std::string& call_id, int64_t at_ms);

  Result<int64_t> agentOnCall(const std::string& agent_id);
  Result<int64_t> numberOnCall(const std::string& number);

  static std::string callKey(const std::string& call_id) {
    return "cm:call:{" + call_id + "}:presence";
  }
  static std::string agentKey(const std::string& agent_id) { return "cm:agent:{" + agent_id + "}"; }
  static std::string numberKey(const std::string& number) {
    return "cm:number:{" + number + "}:oncall";
  }

 private:
  redis::RedisClient& redis_;
  redis::RedisScript answered_script_;
  redis::RedisScript ended_script_;
};

}  // namespace callmesh::agent_presence
