#include "services/notification/event_hub.h"

#include "services/notification/stream_visibility.h"

namespace callmesh::notification {

void EventHub::setListener(Listener listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  listener_ = std::move(listener);
}

void EventHub::publish(StreamEvent event) {
  sortAudience(event);  // whoever made it: the streams binary-search it
  // The listener runs under the lock so setListener(nullptr) returns only once no call is in
  // flight; it only posts to the io thread, so the lock is held for microseconds.
  std::lock_guard<std::mutex> lock(mutex_);
  event.seq = ++seq_;
  if (closed_ || !listener_) return;
  listener_(std::make_shared<const StreamEvent>(std::move(event)));
}

uint64_t EventHub::lastSeq() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seq_;
}

void EventHub::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  listener_ = nullptr;
}

bool EventHub::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

}  // namespace callmesh::notification
