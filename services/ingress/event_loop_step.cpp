#include "services/ingress/event_loop_step.h"

#include <dirent.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

namespace callmesh::ingress {

std::vector<int> EventLoopStep::epollDescriptors() {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd < 0 || fd > INT_MAX) continue;
    std::string path = std::string("/proc/self/fd/") + entry->d_name;
    char target[64] = {0};
    ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
    if (n > 0 && std::string(target, static_cast<size_t>(n)) == "anon_inode:[eventpoll]")
      fds.push_back(static_cast<int>(fd));
  }
  closedir(dir);
  std::sort(fds.begin(), fds.end());
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
    (void)su_root_step(root_, max_wait_ms);
    return;
  }
  // Sleep on sofia's epoll until a socket is ready or the wait the last turn computed is over.
  if (wait_ms_ > 0) {
    pollfd pfd{epoll_fd_, POLLIN, 0};
    timespec wait{wait_ms_ / 1000, static_cast<long>(wait_ms_ % 1000) * 1000 * 1000};
    (void)ppoll(&pfd, 1, &wait, nullptr);
  }
  // Serve what is ready and what is due, never waiting. 0 means sofia served I/O, or that its
  // next timer is under a millisecond away; after I/O one more turn returns the real time to
  // the next timer.
  su_duration_t next_timer_ms = su_root_step(root_, 0);
  if (next_timer_ms == 0) next_timer_ms = nextTimer();
  if (next_timer_ms == 0) {
    wait_ms_ = 1;  // the timer is that close, or I/O keeps coming (then ppoll returns at once)
  } else if (next_timer_ms < 0 || next_timer_ms >= max_wait_ms) {
    wait_ms_ = max_wait_ms;
  } else {
    wait_ms_ = next_timer_ms + 1;  // sofia rounds down: waking before the timer is due costs a
                                   // second sleep
  }
}

}  // namespace callmesh::ingress
