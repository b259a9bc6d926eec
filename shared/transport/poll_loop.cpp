#include "shared/transport/poll_loop.h"

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace callmesh::transport {

void PollLoop::addSocket(zmq::socket_t& socket, ReadyHandler on_ready) {
  items_.push_back(zmq::pollitem_t{socket.handle(), 0, ZMQ_POLLIN, 0});
  handlers_.push_back(std::move(on_ready));
}

void PollLoop::addTimer(int64_t interval_ms, TimerHandler on_timer) {
  timers_.push_back(Timer{interval_ms, clock_.steadyMs() + interval_ms, std::move(on_timer)});
}

void PollLoop::addDeadlineSource(std::function<int64_t()> ms_until_next) {
  deadline_sources_.push_back(std::move(ms_until_next));
}

void PollLoop::runOnce(int wait_ms) {
  int64_t now = clock_.steadyMs();
  int64_t wait = wait_ms;
  for (const auto& t : timers_) wait = std::min(wait, std::max<int64_t>(t.next_ms - now, 0));
  for (const auto& src : deadline_sources_) {
    int64_t d = src();
    if (d >= 0) wait = std::min(wait, d);
  }
  if (!items_.empty()) {
    try {
      zmq::poll(items_.data(), items_.size(), std::chrono::milliseconds(wait));
    } catch (const zmq::error_t& e) {
      // A signal (SIGTERM, SIGHUP) interrupted the poll: the caller re-checks its flags.
      if (e.num() != EINTR) throw;
      return;
    }
  }
  for (size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].revents & ZMQ_POLLIN) handlers_[i]();
  }
  now = clock_.steadyMs();
  for (auto& t : timers_) {
    if (t.next_ms <= now) {
      t.next_ms = now + t.interval_ms;
      t.handler();
    }
  }
}

void PollLoop::run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) runOnce(max_wait_ms_);
}

}  // namespace callmesh::transport
