#pragma once

#include <sys/epoll.h>

#include <cstdint>

namespace callmesh::ingress::epoll_handoff {

// The ingress's loop sleeps on sofia's epoll instance itself (EventLoopStep: sofia's own wait
// rounds timers down to whole milliseconds and spins), then has sofia serve what is ready with a
// step that must not wait. That step asks the same epoll instance again: a second epoll_wait per
// wakeup, a few thousand a second at 500 calls/s, each a trip through the hypervisor on a
// paravirtualised guest. So the loop hands the events it just got to that second call: the
// executable defines epoll_wait (epoll_handoff.cpp), and the next epoll_wait on this thread on
// that instance returns them without a system call. Any other call (another thread, another
// instance: libzmq's I/O threads) goes to the C library's.

// The events (at most kMaxEvents; sofia asks for at most 4) for the next epoll_wait on `epfd`
// on this thread. `count` 0 hands over "nothing is ready".
inline constexpr int kMaxEvents = 4;
void handOver(int epfd, const epoll_event* events, int count);
// Drops a handover nobody took (after the step that was to take it), so a later wait never
// sees stale events.
void withdraw();
// epoll_wait as the C library does it, never answered from a handover.
int waitForReal(int epfd, epoll_event* events, int max_events, int timeout_ms);

// epoll_wait calls answered from a handover, in this process.
uint64_t answeredFromHandover();

}  // namespace callmesh::ingress::epoll_handoff
