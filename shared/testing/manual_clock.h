#pragma once

#include <atomic>
#include <cstdint>

#include "shared/base/clock.h"

namespace callmesh::testing {

// A clock the test moves by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  int64_t nowMs() const override { return now_.load(); }
  int64_t steadyMs() const override { return now_.load(); }
  void advance(int64_t ms) { now_ += ms; }
  void set(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace callmesh::testing
