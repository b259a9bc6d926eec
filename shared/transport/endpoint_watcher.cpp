#include "shared/transport/endpoint_watcher.h"

#include <chrono>

namespace callmesh::transport {

EndpointWatcher::EndpointWatcher(std::vector<std::string> configured, int interval_ms,
                                 Resolver resolve)
    : configured_(std::move(configured)), resolve_(std::move(resolve)) {
  refresh();  // generation 1, even when empty: an empty first answer is still an answer
  if (hasNames(configured_)) thread_ = std::thread([this, interval_ms] { run(interval_ms); });
}

EndpointWatcher::~EndpointWatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> EndpointWatcher::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return concrete_;
}

bool EndpointWatcher::changedSince(uint64_t& seen, std::vector<std::string>& out) const {
  if (generation() == seen) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  out = concrete_;
  seen = generation_.load(std::memory_order_acquire);
  return true;
}

void EndpointWatcher::refresh() {
  ResolvedEndpoints previous;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    previous = resolved_;
  }
  // Resolved outside the lock: a slow DNS answer never holds up an owner's changedSince().
  ResolvedEndpoints next = resolveEndpoints(configured_, resolve_, previous);
  std::vector<std::string> concrete = flatten(next);
  std::lock_guard<std::mutex> lock(mutex_);
  resolved_ = std::move(next);
  if (concrete != concrete_ || generation_ == 0) {
    concrete_ = std::move(concrete);
    generation_.fetch_add(1, std::memory_order_release);
  }
}

void EndpointWatcher::run(int interval_ms) {
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (wake_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stop_; })) {
        return;
      }
    }
    refresh();
  }
}

void reconnectTo(zmq::socket_t& socket, std::vector<std::string>& connected,
                 const std::vector<std::string>& wanted) {
  auto changes = diffEndpoints(connected, wanted);
  for (const auto& e : changes.disconnect) {
    try {
      socket.disconnect(e);
    } catch (const zmq::error_t&) {
      // libzmq already dropped it: nothing to undo
    }
  }
  for (const auto& e : changes.connect) socket.connect(e);
  connected = wanted;
}

}  // namespace callmesh::transport
