#pragma once

#include <cstdint>

namespace callmesh::concurrency_limiter {

// After a Redis failover the new primary may lack the slot leases the old one had not yet
// replicated (replication is asynchronous): counting from it alone would admit calls over the cap.
// So when the Redis client moves to a new primary (its primaryEpoch() changes), new calls are
// refused for `hold_ms` while the ingresses' renewals re-add every live call's lease
// (SlotLedger::renew with readopt). hold_ms covers one renewal period and some, so after it the
// sets count every live call again (docs/redis-failover.md). Pure: the caller passes the epoch
// and the time.
class FailoverHold {
 public:
  explicit FailoverHold(int64_t hold_ms) : hold_ms_(hold_ms) {}

  // The client's epoch as of now; a change (re)starts the hold. Returns true on a change.
  bool observe(uint64_t epoch, int64_t now_ms) {
    if (epoch == epoch_) return false;
    epoch_ = epoch;
    if (hold_ms_ > 0) until_ms_ = now_ms + hold_ms_;
    return true;
  }
  bool holding(int64_t now_ms) const { return hold_ms_ > 0 && now_ms < until_ms_; }
  int64_t remainingMs(int64_t now_ms) const { return holding(now_ms) ? until_ms_ - now_ms : 0; }
  int64_t holdMs() const { return hold_ms_; }

 private:
  int64_t hold_ms_;
  uint64_t epoch_ = 0;
  int64_t until_ms_ = 0;
  // `until_ms_` 0 and steady clocks far above it: no hold before the first change.
};

}  // namespace callmesh::concurrency_limiter
