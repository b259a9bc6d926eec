#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "services/notification/notification_store.h"
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
// notification). A thin front of NotificationStore for the plain case where everyone rung may
// see it: creation is idempotent on the Call-ID, so a re-delivered `ended` event never makes a
// second record, and a record exists before the event is acknowledged.
class MissedCallLedger {
 public:
  explicit MissedCallLedger(redis::RedisClient& redis) : store_(redis) {}

  // Returns true when this call created the record, false when it already existed.
  Result<bool> record(const MissedCall& call) {
    NotificationRecord r;
    r.id = call.call_id;
    r.kind = NotificationKind::MissedCall;
    r.number = call.number;
    r.caller = call.caller;
    r.rung = call.rung;
    r.visible_to = call.rung;
    r.at_ms = call.ended_at_ms;
    return store_.record(r);
  }
  Result<int64_t> unclaimedCount() { return store_.unclaimedCount(); }

  static std::string recordKey(const std::string& call_id) {
    return NotificationStore::recordKey(call_id);
  }

 private:
  NotificationStore store_;
};

}  // namespace callmesh::notification
