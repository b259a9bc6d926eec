#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <capnp/common.h>
#include <kj/array.h>

#include "schemas/call.capnp.h"
#include "services/ingress/call_events.h"
#include "shared/base/clock.h"
#include "shared/transport/request_client.h"

namespace callmesh::ingress {

// One receiver of call events. The notification service acts only on ends (each is a call
// detail record, and may call for a follow-up: the end names every leg the call rang), so it is
// sent those only (`ends_only`): the rest were decoded there just to be dropped.
struct EventSubscriber {
  transport::RequestLink* client = nullptr;
  bool ends_only = false;
};

// How much the publisher keeps and how it sends it (issue 16).
struct EventBacklogLimits {
  // Events held per subscriber, queued or sent and not yet acknowledged. Past it new events to
  // that subscriber are refused and counted (callmesh_ingress_events_dropped_total).
  size_t max_events = 100000;
  // Bytes of events in one CallEventBatch: the receivers refuse frames over 256 KiB
  // (codec::DecodeLimits); 192 KiB leaves room for the batch's own list and pointers.
  size_t max_batch_bytes = 192 * 1024;
  // Batches on the wire per subscriber at once.
  size_t max_batches_in_flight = 8;
  // Events collected that flush at once, without waiting for the tick's event_flush_ms
  // (ingress.event_flush_events).
  size_t flush_after_events = 512;
  // After a batch fails (no acknowledgement within the link's one attempt), nothing goes to that
  // subscriber for first_backoff_ms, doubling at each further failure up to max_backoff_ms.
  int64_t first_backoff_ms = 1000;
  int64_t max_backoff_ms = 8000;
};

// Publishes call lifecycle events to agent-presence and notification with acknowledged,
// at-least-once delivery. Events are collected and sent at each flush() (the ingress flushes
// every event_flush_ms, 50 ms by default, or when flush_after_events are waiting) as
// CallEventBatches of at most max_batch_bytes: one ZeroMQ message instead of one per event, which
// is most of the cluster's per-call messaging, and never a frame its receiver refuses. Each
// subscriber has its own queue, bounded in events (max_events, queued + unacknowledged); a batch
// that fails goes back to the head of its queue and the subscriber is left alone for an exponential
// backoff (1 s, 2 s, 4 s, then 8 s), so a receiver that is away costs the SIP loop nothing but the
// queue. A subscriber that restarts gets what it missed when it comes back; receivers dedupe on the
// event id (ingress instance + sequence). If one stays away long enough to fill its queue, further
// events to it are refused and counted (callmesh_ingress_events_dropped_total), never silently
// lost.
class CallEventPublisher final : public CallEvents {
 public:
  CallEventPublisher(std::string instance_id, const Clock& clock,
                     const std::vector<EventSubscriber>& subscribers,
                     EventBacklogLimits limits = {});

  void offered(const CallIdentity& call, const std::string& rule) override;
  void legRinging(const CallIdentity& call, const LegInfo& leg) override;
  void answered(const CallIdentity& call, const LegInfo& leg) override;
  void legFailed(const CallIdentity& call, const LegInfo& leg, int status,
                 const std::string& reason) override;
  void ended(const CallIdentity& call, const CallEndInfo& end) override;

  void flush() override;

  uint64_t published() const { return seq_; }
  // Events not on the wire: the longest subscriber queue.
  size_t unsent() const override;
  uint64_t dropped() const override { return dropped_; }
  // Events a subscriber holds, queued or unacknowledged (tests).
  size_t backlog(size_t subscriber) const {
    return subs_[subscriber].queued.size() + subs_[subscriber].in_flight_events;
  }

 private:
  struct Frame {
    uint64_t seq = 0;  // the event's sequence: failed batches go back in order
    std::shared_ptr<const kj::Array<capnp::word>> words;
  };
  struct Subscriber {
    EventSubscriber link;
    std::deque<Frame> queued;  // oldest first; failed batches come back to the front
    size_t in_flight_events = 0;
    size_t in_flight_batches = 0;
    int64_t resume_at_ms = 0;  // backoff: nothing is sent before
    int64_t backoff_ms = 0;
  };

  template <typename Fill>
  void publish(const CallIdentity& call, bool is_end, Fill fill);
  void sendBatch(size_t index);

  std::string instance_id_;
  const Clock& clock_;
  EventBacklogLimits limits_;
  std::vector<Subscriber> subs_;
  uint64_t seq_ = 0;
  uint64_t batch_seq_ = 0;
  uint64_t dropped_ = 0;
  size_t collected_ = 0;  // events published since the last flush
};

}  // namespace callmesh::ingress
