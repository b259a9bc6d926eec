#pragma once

#include <chrono>
#include <cstdint>

namespace callmesh {

// Time goes through this interface so ring timers, leases and schedules are testable.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch: used for lease expiry shared across hosts.
  virtual int64_t nowMs() const = 0;
  // Monotonic milliseconds: used for local deadlines and durations.
  virtual int64_t steadyMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t nowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  int64_t steadyMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace callmesh
