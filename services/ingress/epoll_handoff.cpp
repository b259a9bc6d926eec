// The handover of one epoll_wait's events to the next on the same thread (why: the header).
#include "services/ingress/epoll_handoff.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace callmesh::ingress::epoll_handoff {
namespace {

struct Handover {
  int epfd = -1;
  int count = 0;
  epoll_event events[kMaxEvents];
};
thread_local Handover t_handover;

std::atomic<uint64_t> g_answered{0};

using EpollWait = int (*)(int, epoll_event*, int, int);

EpollWait libcEpollWait() {
  // The next definition after the executable's: the C library's (or a sanitizer's wrapper).
  static const EpollWait fn = reinterpret_cast<EpollWait>(dlsym(RTLD_NEXT, "epoll_wait"));
  return fn;
}

}  // namespace

void handOver(int epfd, const epoll_event* events, int count) {
  Handover& h = t_handover;
  h.epfd = epfd;
  h.count = std::clamp(count, 0, kMaxEvents);
  if (h.count > 0) std::memcpy(h.events, events, sizeof(epoll_event) * h.count);
}

int waitForReal(int epfd, epoll_event* events, int max_events, int timeout_ms) {
  return libcEpollWait()(epfd, events, max_events, timeout_ms);
}

void withdraw() { t_handover.epfd = -1; }

uint64_t answeredFromHandover() { return g_answered.load(std::memory_order_relaxed); }

namespace {

// Only the next call on the instance takes the events: a caller asking for fewer gets the first
// ones, and the rest are still ready (sofia registers its sockets level-triggered), so its next
// wait reports them again.
bool takeHandover(int epfd, epoll_event* events, int max_events, int* count) {
  Handover& h = t_handover;
  if (h.epfd < 0 || h.epfd != epfd || max_events <= 0) return false;
  h.epfd = -1;
  *count = std::min(h.count, max_events);
  if (*count > 0) std::memcpy(events, h.events, sizeof(epoll_event) * *count);
  g_answered.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace

}  // namespace callmesh::ingress::epoll_handoff

extern "C" int epoll_wait(int epfd, epoll_event* events, int max_events, int timeout_ms) {
  int count = 0;
  if (callmesh::ingress::epoll_handoff::takeHandover(epfd, events, max_events, &count))
    return count;
  return callmesh::ingress::epoll_handoff::waitForReal(epfd, events, max_events, timeout_ms);
}
