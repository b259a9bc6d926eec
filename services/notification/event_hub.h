#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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

// The hand-over from the bus feed thread to the HTTP transport: publish() numbers an event and
// gives it to the listener, which only queues it for the io thread (StreamFanout), so a slow
// stream never holds up the Redis subscriber or a handler. Thread-safe.
class EventHub {
 public:
  using Listener = std::function<void(std::shared_ptr<const StreamEvent>)>;

  // The one listener (nullptr detaches). Events published while none is set go nowhere: streams
  // are live push only, and clients re-read the lists when they (re)connect.
  void setListener(Listener listener);
  void publish(StreamEvent event);
  uint64_t lastSeq() const;
  // Stops delivering; later publishes go nowhere. For shutdown.
  void close();
  bool closed() const;

 private:
  mutable std::mutex mutex_;
  Listener listener_;
  uint64_t seq_ = 0;
  bool closed_ = false;
};

}  // namespace callmesh::notification
