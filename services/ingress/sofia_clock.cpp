#include "services/ingress/sofia_clock.h"

#include <sofia-sip/su_time.h>
#include <time.h>

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

Sources sources_{};
int64_t anchor_ntp_ns_ = 0;   // the wall clock when followMonotonicClock ran, on NTP's epoch
int64_t anchor_mono_ns_ = 0;  // the monotonic clock then
void (*sofia_time_hook_)(su_time_t*) = nullptr;  // sofia's own `_su_time`, for restoreWallClock
bool following_ = false;

int64_t nowNtpNs() { return anchor_ntp_ns_ + (sources_.monotonic_ns() - anchor_mono_ns_); }

void monotonicTime(su_time_t* tv) {
  int64_t ns = nowNtpNs();
  tv->tv_sec = static_cast<unsigned long>(ns / kNsPerS);
  tv->tv_usec = static_cast<unsigned long>(ns % kNsPerS / 1000);
}

su_time64_t monotonicNanotime(su_time64_t* now) {
  auto ns = static_cast<su_time64_t>(nowNtpNs());
  if (now) *now = ns;
  return ns;
}

int64_t readClock(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerS + ts.tv_nsec;
}

}  // namespace

Sources systemSources() {
  return {[] { return readClock(CLOCK_REALTIME); }, [] { return readClock(CLOCK_MONOTONIC); }};
}

void followMonotonicClock(Sources sources) {
  if (!following_) sofia_time_hook_ = _su_time;
  sources_ = sources;
  anchor_ntp_ns_ = sources.wall_ns() + kNtpEpochOffsetS * kNsPerS;
  anchor_mono_ns_ = sources.monotonic_ns();
  _su_time = monotonicTime;
  _su_nanotime = monotonicNanotime;
  following_ = true;
}

void restoreWallClock() {
  if (!following_) return;
  _su_time = sofia_time_hook_;
  _su_nanotime = nullptr;
  following_ = false;
}

}  // namespace callmesh::ingress::sofia_clock
