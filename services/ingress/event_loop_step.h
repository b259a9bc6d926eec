#pragma once

#include <vector>

#include "services/ingress/sofia.h"

namespace callmesh::ingress {

// One turn of sofia's event loop: sleep until a socket is ready or sofia's next timer is due,
// then serve both, with one wakeup per timer and none wasted.
//
// su_root_step() does its own waiting, but it computes the wait until its next timer in whole
// milliseconds, rounded down: it wakes up to a millisecond before the timer is due and sleeps
// again (the ingress's 10 ms tick cost three wakeups per two ticks), and with a timer 0.9 ms
// away it polls with timeout 0, returns, and is called again, about 25 times before the timer
// is due. The ingress has timers all the time (NTA's retransmissions, ring timers, the 10 ms
// tick), so that spin was the largest single cost per call (about 40% of the ingress's CPU at
// 500 calls/s, measured with perf). It also returns 0 after serving I/O, the same value it gives
// for a timer under a millisecond away.
//
// So the step asks sofia never to wait (su_root_step with timeout 0: serve ready sockets and due
// timers), then, when that returned 0, runs the due timers and reads the real time to the next
// one off the root's timer queue (a second su_root_step would also poll the sockets it just
// served: a syscall per wakeup), and sleeps itself on sofia's own epoll instance, which wakes on
// any registered socket, until a millisecond past the time sofia gave. What that sleep found is
// handed to sofia's own epoll_wait in the next step (epoll_handoff.h): one wait per wakeup. A timer
// fires at most 1 ms late, which no SIP timer (T1 = 500 ms) or ring step can tell.
class EventLoopStep {
 public:
  // Call right after su_root_create(): finds the epoll instance that root created (sofia does
  // not expose it) by comparing the process's descriptors before and after. `before` comes from
  // epollDescriptors() taken just before su_root_create().
  static EventLoopStep forRoot(su_root_t* root, const std::vector<int>& before);
  static std::vector<int> epollDescriptors();

  // Waits (at most `max_wait_ms`) for a ready socket or the next timer, then runs them.
  void step(su_duration_t max_wait_ms);
  // The epoll descriptor found, or -1 (then step() is plain su_root_step()).
  int epollFd() const { return epoll_fd_; }

 private:
  // After I/O was served: due timers run, and the ms to the next one (-1: none).
  su_duration_t nextTimer();

  su_root_t* root_ = nullptr;
  int epoll_fd_ = -1;
  su_duration_t wait_ms_ = 0;  // how long the next step sleeps before it serves
};

}  // namespace callmesh::ingress
