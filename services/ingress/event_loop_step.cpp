#include "services/ingress/event_loop_step.h"

#include <algorithm>
#include <vector>

#include "services/ingress/epoll_handoff.h"
#include "services/ingress/open_descriptors.h"
#include "services/ingress/sofia_clock.h"

namespace callmesh::ingress {

std::vector<int> EventLoopStep::epollDescriptors() {
  std::vector<int> fds;
  for (int fd : openDescriptors())
    if (descriptorTarget(fd) == "anon_inode:[eventpoll]") fds.push_back(fd);
  return fds;
}

EventLoopStep EventLoopStep::forRoot(su_root_t* root, const std::vector<int>& before) {
  EventLoopStep s;
  s.root_ = root;
  std::vector<int> created;
  for (int fd : epollDescriptors())
    if (!std::binary_search(before.begin(), before.end(), fd)) created.push_back(fd);
  // Exactly one new epoll instance, or we cannot tell which is sofia's: then plain stepping.
  if (created.size() == 1) s.epoll_fd_ = created.front();
  return s;
}

su_duration_t EventLoopStep::nextTimer() {
  // Runs the timers due by now and reads the time to the next one straight off the root's timer
  // queue: a second su_root_step(0) did the same plus an epoll_wait that found nothing (it was
  // just served), a syscall per wakeup, and every syscall is dear on a paravirtualised guest.
  su_timer_queue_t* timers = su_task_timers(su_root_task(root_));
  if (timers == nullptr) return su_root_step(root_, 0);
  su_duration_t tout = SU_DURATION_MAX;
  (void)su_timer_expire(timers, &tout, su_now());
  return tout == SU_DURATION_MAX ? -1 : tout;
}

void EventLoopStep::step(su_duration_t max_wait_ms) {
  if (epoll_fd_ < 0) {
    sofia_clock::correctForSteps();
    (void)su_root_step(root_, max_wait_ms);
    return;
  }
  // Sleep on sofia's epoll until a socket is ready or the wait the last turn computed is over,
  // and hand what it found to sofia's own epoll_wait in the step below (epoll_handoff.h): one
  // system call per wakeup, not two.
  epoll_event ready[epoll_handoff::kMaxEvents];
  int n = epoll_handoff::waitForReal(epoll_fd_, ready, epoll_handoff::kMaxEvents,
                                     static_cast<int>(wait_ms_));
  epoll_handoff::handOver(epoll_fd_, ready, n < 0 ? 0 : n);
  // A wall-clock step while we slept must not reach sofia's timers (sofia_clock.h).
  sofia_clock::correctForSteps();
  // Serve what is ready and what is due, never waiting. 0 means sofia served I/O, or that its
  // next timer is under a millisecond away; after I/O one more turn returns the real time to
  // the next timer.
  su_duration_t next_timer_ms = su_root_step(root_, 0);
  epoll_handoff::withdraw();
  if (next_timer_ms == 0) next_timer_ms = nextTimer();
  if (next_timer_ms == 0) {
    wait_ms_ = 1;  // the timer is that close, or I/O keeps coming (then the wait returns at once)
  } else if (next_timer_ms < 0 || next_timer_ms >= max_wait_ms) {
    wait_ms_ = max_wait_ms;
  } else {
    wait_ms_ = next_timer_ms + 1;  // sofia rounds down: waking before the timer is due costs a
                                   // second sleep
  }
}

}  // namespace callmesh::ingress
