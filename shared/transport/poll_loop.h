#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include <zmq.hpp>

#include "shared/base/clock.h"

namespace callmesh::transport {

// A single-threaded zmq::poll loop with periodic timers, for services that do not run sofia's
// su_root (everything but the ingress). Stops within `max_wait_ms` of `stop` becoming true.
class PollLoop {
 public:
  using ReadyHandler = std::function<void()>;
  using TimerHandler = std::function<void()>;

  explicit PollLoop(const Clock& clock, int max_wait_ms = 100)
      : clock_(clock), max_wait_ms_(max_wait_ms) {}

  void addSocket(zmq::socket_t& socket, ReadyHandler on_ready);
  void addTimer(int64_t interval_ms, TimerHandler on_timer);
  // Extra deadline source (a RequestClient's next retry), asked before each poll.
  void addDeadlineSource(std::function<int64_t()> ms_until_next);

  void run(const std::atomic<bool>& stop);
  // One poll pass; for tests.
  void runOnce(int wait_ms);

 private:
  struct Timer {
    int64_t interval_ms;
    int64_t next_ms;
    TimerHandler handler;
  };
  const Clock& clock_;
  int max_wait_ms_;
  std::vector<zmq::pollitem_t> items_;
  std::vector<ReadyHandler> handlers_;
  std::vector<Timer> timers_;
  std::vector<std::function<int64_t()>> deadline_sources_;
};

}  // namespace callmesh::transport
