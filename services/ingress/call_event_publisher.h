#pragma once

#include <cstdint>
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

// One receiver of call events. The notification service acts only on ends that may call for a
// follow-up (codec::endMayNeedFollowUp: the end names every leg the call rang), so it is sent
// those only: the rest were decoded there just to be dropped.
struct EventSubscriber {
  transport::RequestLink* client = nullptr;
  bool follow_ups_only = false;
};

// Publishes call lifecycle events to agent-presence and notification with acknowledged,
// at-least-once delivery. Events are collected and sent once per flush() (the ingress flushes
// every event_flush_ms, 50 ms by default, or when 64 are waiting) as one CallEventBatch per
// subscriber: one ZeroMQ message instead of one per event, which is most of the cluster's per-call
// messaging. Each batch goes through the subscriber's RequestClient with unlimited attempts, and
// stays in memory until that subscriber acknowledges it. A subscriber that restarts gets what it
// missed when it comes back; receivers dedupe on the event id (ingress instance + sequence). The
// backlog is bounded (max_pending); if a subscriber stays away long enough to fill it, further
// events to it are refused and counted (callmesh_ingress_events_dropped_total) — never silently
// lost.
class CallEventPublisher final : public CallEvents {
 public:
  CallEventPublisher(std::string instance_id, const Clock& clock,
                     std::vector<EventSubscriber> subscribers)
      : instance_id_(std::move(instance_id)), clock_(clock), subscribers_(std::move(subscribers)) {}

  void offered(const CallIdentity& call) override;
  void legRinging(const CallIdentity& call, const LegInfo& leg) override;
  void answered(const CallIdentity& call, const LegInfo& leg) override;
  void legFailed(const CallIdentity& call, const LegInfo& leg, int status,
                 const std::string& reason) override;
  void ended(const CallIdentity& call, const CallEndInfo& end) override;

  void flush() override;

  uint64_t published() const { return seq_; }
  size_t unsent() const override { return waiting_.size(); }
  uint64_t dropped() const override { return dropped_; }

 private:
  struct Waiting {
    kj::Array<capnp::word> frame;
    bool follow_up = false;  // an end that may call for a follow-up record
  };

  template <typename Fill>
  void publish(const CallIdentity& call, bool follow_up, Fill fill);

  std::string instance_id_;
  const Clock& clock_;
  std::vector<EventSubscriber> subscribers_;
  uint64_t seq_ = 0;
  uint64_t batch_seq_ = 0;
  uint64_t dropped_ = 0;
  std::vector<Waiting> waiting_;
};

}  // namespace callmesh::ingress
