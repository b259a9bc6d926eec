#include "services/ingress/sofia_clock.h"

#include <sofia-sip/su_time.h>
#include <time.h>

#include <atomic>

extern "C" {
// sofia-sip's time hooks (su_time0.c). su_time() fills its argument from CLOCK_REALTIME and then
// calls `_su_time` on it (a no-op by default); su_nanotime() and su_now64() return
// `_su_nanotime(&realtime)` when it is set. Not in sofia's public headers: its tests declare
// them as here.
extern void (*_su_time)(su_time_t* tv);
extern su_time64_t (*_su_nanotime)(su_time64_t* now);
}

namespace callmesh::ingress::sofia_clock {

namespace {

// su_time_t counts from 1900 (NTP's epoch), the Unix clock from 1970.
constexpr int64_t kNtpEpochOffsetS = 2208988800;
constexpr int64_t kNsPerS = 1000000000;

int64_t readClock(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerS + ts.tv_nsec;
}

int64_t machineWall() { return readClock(CLOCK_REALTIME); }
int64_t machineMonotonic() { return readClock(CLOCK_MONOTONIC); }

Sources sources_{};
int64_t start_offset_ns_ = 0;                    // wall - monotonic when followMonotonicClock ran
std::atomic<int64_t> correction_ns_{0};          // what undoes the wall clock's steps since then
void (*sofia_time_hook_)(su_time_t*) = nullptr;  // sofia's own `_su_time`, for restoreWallClock
bool following_ = false;

// The wall clock as sofia reads it (`sofia_ns`, on NTP's epoch) or as the test's fake has it.
int64_t wallNtpNs(int64_t sofia_ns) {
  if (sources_.wall_ns == machineWall) return sofia_ns;
  return sources_.wall_ns() + kNtpEpochOffsetS * kNsPerS;
}

// The hooks add the correction to the time sofia just read: no clock read of their own, since
// sofia reads the time hundreds of times per call (each a vDSO call on this guest: a second one
// cost the ingress 7 % of its CPU per call).
void correctedTime(su_time_t* tv) {
  int64_t sofia_ns =
      static_cast<int64_t>(tv->tv_sec) * kNsPerS + static_cast<int64_t>(tv->tv_usec) * 1000;
  int64_t ns = wallNtpNs(sofia_ns) + correction_ns_.load(std::memory_order_relaxed);
  tv->tv_sec = static_cast<unsigned long>(ns / kNsPerS);
  tv->tv_usec = static_cast<unsigned long>(ns % kNsPerS / 1000);
}

su_time64_t correctedNanotime(su_time64_t* now) {
  int64_t sofia_ns = now ? static_cast<int64_t>(*now) : 0;
  auto ns = static_cast<su_time64_t>(wallNtpNs(sofia_ns) +
                                     correction_ns_.load(std::memory_order_relaxed));
  if (now) *now = ns;
  return ns;
}

}  // namespace

Sources systemSources() { return {machineWall, machineMonotonic}; }

void followMonotonicClock(Sources sources) {
  // Starting again would step sofia's clock by however far the wall clock moved meanwhile.
  if (following_ && sources.wall_ns == sources_.wall_ns &&
      sources.monotonic_ns == sources_.monotonic_ns) {
    return;
  }
  if (!following_) sofia_time_hook_ = _su_time;
  sources_ = sources;
  start_offset_ns_ = sources.wall_ns() - sources.monotonic_ns();
  correction_ns_.store(0, std::memory_order_relaxed);
  _su_time = correctedTime;
  _su_nanotime = correctedNanotime;
  following_ = true;
}

void correctForSteps() {
  if (!following_) return;
  int64_t offset = sources_.wall_ns() - sources_.monotonic_ns();
  correction_ns_.store(start_offset_ns_ - offset, std::memory_order_relaxed);
}

void restoreWallClock() {
  if (!following_) return;
  _su_time = sofia_time_hook_;
  _su_nanotime = nullptr;
  following_ = false;
}

}  // namespace callmesh::ingress::sofia_clock
