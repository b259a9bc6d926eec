#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "shared/redis/keys.h"

namespace callmesh::notification {

// One Server-Sent Event for API streams, with who may receive it.
struct StreamEvent {
  uint64_t seq = 0;                   // assigned by the hub, strictly increasing
  std::string name;                   // SSE `event:` (notification.created, ...)
  std::string data;                   // SSE `data:` (one line of JSON)
  std::vector<std::string> audience;  // agent ids; empty = every authenticated client
  bool everyone = false;              // true: ignore `audience`, send to all
  bool admins = false;                // true: also to every admin's stream
  std::string except;                 // never to this agent (with `everyone`: all but one)
};

// The cluster-wide event channel on Redis pub/sub (docs/redis-keys.md `cm:events`). Writers
// PUBLISH one JSON object per event; each notification replica subscribes and feeds its hub.
// The name is owned by shared/redis/keys.h (notification_keys::kEventChannel).
inline constexpr const char* kEventChannel = redis::notification_keys::kEventChannel;

// Which bus messages become which stream events, for whom, and which stream may receive one:
// stream_visibility.h (streamEventsFromBus, streamMayReceive).

// In-process fan-out from the bus feed thread to HTTP stream threads. Keeps the last `capacity`
// events; a stream remembers the last seq it sent and asks for what came after.
// Thread-safe.
class EventHub {
 public:
  explicit EventHub(size_t capacity = 4096) : capacity_(capacity) {}

  void publish(StreamEvent event);
  // Events with seq > after_seq (oldest first), waiting up to timeout_ms for the first one.
  std::vector<StreamEvent> waitAfter(uint64_t after_seq, int timeout_ms);
  uint64_t lastSeq() const;
  // Wakes every waiter; later waits return at once. For shutdown.
  void close();
  bool closed() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<StreamEvent> events_;
  size_t capacity_;
  uint64_t seq_ = 0;
  bool closed_ = false;
};

}  // namespace callmesh::notification
