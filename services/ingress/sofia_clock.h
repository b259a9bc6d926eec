#pragma once

#include <cstdint>

// sofia-sip's clock, kept from the wall clock's steps. Every sofia timer (su_timer: the
// ingress's 10 ms tick, each ring step's timeout, a call's time limit) and every NTA transaction
// timer (RFC 3261's A-K) reads su_now(), which is CLOCK_REALTIME: a wall clock stepped back by N
// seconds (ntpd steps any offset over 128 ms; a VM resumed or migrated) froze them all for N
// seconds (no tick: no lease renewals, releases or events; phones ringing N seconds past their
// step), and a step forward fired them all at once. sofia-sip has hooks for its time
// (su_time0.c: `_su_time`, `_su_nanotime`, exported by libsofia-sip-ua, used by its own tests);
// with them its time is the wall clock less every step the wall clock took since the ingress
// started, as last measured by correctForSteps(). The event loop measures once per turn, before
// sofia runs its timers (event_loop_step.cpp), so sofia's time advances with CLOCK_MONOTONIC.
namespace callmesh::ingress::sofia_clock {

// Where time comes from, in nanoseconds: since the Unix epoch, and since an arbitrary start.
struct Sources {
  int64_t (*wall_ns)();
  int64_t (*monotonic_ns)();
};

// clock_gettime(CLOCK_REALTIME) and clock_gettime(CLOCK_MONOTONIC).
Sources systemSources();

// From now on su_time(), su_now(), su_nanotime() and su_now64() give the wall-clock time less
// the steps correctForSteps() has seen. Call before any thread uses sofia (the hooks are plain
// globals). Calling again with the same sources changes nothing (a second SipProxy in one
// process must not step the clock); with other sources (a test's fakes) it starts afresh.
void followMonotonicClock(Sources sources = systemSources());

// Measures how far the wall clock has stepped away from the monotonic clock since
// followMonotonicClock, and has sofia's time undo it: two clock reads. The event loop calls it
// each turn, before sofia's timers run.
void correctForSteps();

// Back to sofia's own CLOCK_REALTIME (tests).
void restoreWallClock();

}  // namespace callmesh::ingress::sofia_clock
