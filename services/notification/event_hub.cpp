#include "services/notification/event_hub.h"

#include <chrono>

namespace callmesh::notification {

void EventHub::publish(StreamEvent event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    event.seq = ++seq_;
    events_.push_back(std::move(event));
    while (events_.size() > capacity_) events_.pop_front();
  }
  changed_.notify_all();
}

std::vector<StreamEvent> EventHub::waitAfter(uint64_t after_seq, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                    [&] { return closed_ || seq_ > after_seq; });
  std::vector<StreamEvent> out;
  for (const auto& e : events_) {
    if (e.seq > after_seq) out.push_back(e);
  }
  return out;
}

uint64_t EventHub::lastSeq() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seq_;
}

void EventHub::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

bool EventHub::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

}  // namespace callmesh::notification
