#pragma once

#include <cstdint>

#include "shared/base/clock.h"

namespace callmesh::router {

// Stops the router from paying the Redis deadline over and over while Redis is unreachable.
//
// One decision may ask presence for five blast agents and the CRM for the caller's contacts. With
// Redis black-holed, each of those would wait `redis.timeout_ms` (250 ms) before failing open, and
// the ingress (300 ms per attempt) would give up on the router. After one lookup fails with a
// transport error, the gate stays shut for `retry_after_ms`: lookups fail open at once, and the
// first lookup after the pause tries Redis again. Shared by every directory using one client, on
// the router's loop thread; not thread-safe.
class RedisRetryGate {
 public:
  RedisRetryGate(const Clock& clock, int64_t retry_after_ms)
      : clock_(clock), retry_after_ms_(retry_after_ms) {}

  // Whether a lookup may go to Redis now.
  bool allows() const { return clock_.steadyMs() >= closed_until_ms_; }
  // A lookup could not reach Redis (disconnected or timed out): shut the gate for a while.
  void failed() { closed_until_ms_ = clock_.steadyMs() + retry_after_ms_; }

 private:
  const Clock& clock_;
  int64_t retry_after_ms_;
  int64_t closed_until_ms_ = 0;  // steady ms; 0 = open
};

}  // namespace callmesh::router
