#pragma once

#include <vector>

#include "services/ingress/sofia.h"

namespace callmesh::ingress {

// One turn of sofia's event loop without its sub-millisecond spin, and without a nap after I/O.
//
// sofia computes the wait until its next timer in whole milliseconds, rounded down: with a timer
// 0.9 ms away it polls with timeout 0, returns, and is called again, about 25 times before the
// timer is due. The ingress has timers all the time (NTA's retransmissions, ring timers, the
// 10 ms tick), so that spin was the largest single cost per call (about 40% of the ingress's CPU
// at 500 calls/s, measured with perf). When the next timer is under a millisecond away we wait
// on sofia's own epoll instance, which wakes on any registered socket, for at most a
// millisecond: I/O is served as soon as it arrives and a timer fires at most 1 ms late, which
// no SIP timer (T1 = 500 ms) or ring step can tell.
//
// su_root_step() also returns 0 after it served I/O, whatever its timers. One more step that
// does not wait tells the two apart before the loop sleeps.
class EventLoopStep {
 public:
  // Call right after su_root_create(): finds the epoll instance that root created (sofia does
  // not expose it) by comparing the process's descriptors before and after. `before` comes from
  // epollDescriptors() taken just before su_root_create().
  static EventLoopStep forRoot(su_root_t* root, const std::vector<int>& before);
  static std::vector<int> epollDescriptors();

  // Runs due timers and ready sockets, waiting at most `max_wait_ms` for something to happen.
  void step(su_duration_t max_wait_ms);
  // The epoll descriptor found, or -1 (then step() is plain su_root_step()).
  int epollFd() const { return epoll_fd_; }

 private:
  su_root_t* root_ = nullptr;
  int epoll_fd_ = -1;
};

}  // namespace callmesh::ingress
