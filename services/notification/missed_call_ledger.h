#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"

namespace callmesh::notification {

struct MissedCall {
  std::string call_id;
  std::string number;  // the number that was called
  std::string caller;
  std::vector<std::string> rung;  // agents/receiving numbers that were rung and missed it
  int64_t ended_at_ms = 0;
};

// One record per call that ended unanswered (seed 004: a missed call becomes a follow-up
// notification). Creation is idempotent on the Call-ID, so a re-delivered `ended` event never
// makes a second record, and a record exists before the event is acknowledged.
//
// Keys: cm:notif:{<call-id>} hash (number, caller, rung, ended_at_ms, state=unclaimed)
//       cm:notifications:unclaimed  sorted set of call ids by ended time
class MissedCallLedger {
 public:
  explicit MissedCallLedger(redis::RedisClient& redis) : redis_(redis) {}

  // Returns true when this call created the record, false when it already existed.
  Result<bool> record(const MissedCall& call);
  Result<int64_t> unclaimedCount();

  static std::string recordKey(const std::string& call_id) { return "cm:notif:{" + call_id + "}"; }
  static constexpr const char* kUnclaimedKey = "cm:notifications:unclaimed";

 private:
  redis::RedisClient& redis_;
  redis::RedisScript record_script_;
};

}  // namespace callmesh::notification
