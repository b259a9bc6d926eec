#pragma once

#include <cstdint>

namespace callmesh::agent_presence {

// When presence's Redis client moves to a new primary (its primaryEpoch() changes), writes the
// old primary acknowledged but had not replicated may be missing: an `ended` event applied and
// acknowledged there leaves its call on the number's on-call set and its agent on a call, and no
// later event corrects that (docs/redis-failover.md). Rather than wait up to
// `reconcile_interval_ms` for the periodic sweep, line state is rebuilt `settle_ms` after the
// move: by then a call whose end was lost has also lost its slot lease (nobody renews it) and is
// past the reconcile's grace, so that run ends it.
//
// Not at once: right after the move a live call's lease may be missing too (lost with the old
// primary) until the limiter re-adds it from the call's next renewal (its failover hold), and a
// reconcile then would end a call still in progress. For the same reason the periodic sweep
// waits while a failover reconcile is pending (settling()). A run that fails (the new primary
// not yet writable) is retried every `retry_ms` until one succeeds. Pure: the caller passes the
// epoch and the time.
class FailoverReconcile {
 public:
  FailoverReconcile(int64_t settle_ms, int64_t retry_ms)
      : settle_ms_(settle_ms), retry_ms_(retry_ms) {}

  // The client's epoch as of now; a change (re)schedules the run. Returns true on a change.
  bool observe(uint64_t epoch, int64_t now_ms) {
    if (epoch == epoch_) return false;
    epoch_ = epoch;
    next_ms_ = now_ms + settle_ms_;
    pending_ = true;
    return true;
  }
  // A failover reconcile is scheduled and has not succeeded yet.
  bool settling() const { return pending_; }
  // Whether the run is due at now_ms.
  bool due(int64_t now_ms) const { return pending_ && now_ms >= next_ms_; }
  // The due run's outcome: a success ends the schedule, a failure retries.
  void ran(bool ok, int64_t now_ms) {
    if (ok) {
      pending_ = false;
    } else {
      next_ms_ = now_ms + retry_ms_;
    }
  }

 private:
  int64_t settle_ms_;
  int64_t retry_ms_;
  uint64_t epoch_ = 0;  // HiredisClient starts at 0: no failover yet
  int64_t next_ms_ = 0;
  bool pending_ = false;
};

}  // namespace callmesh::agent_presence
