#pragma once

// Queues webhook events (issue 20) right after the fact each reports is written.
//
// The facts (a call record, a notification, a claim, a contact) are written by scripts and
// commands confined to their own hash slot (Redis Cluster, docs/redis-cluster.md); the outbox is
// in the `{webhooks}` slot, so the event cannot join the fact's script. It is queued by a second,
// single-slot script right after the fact, which the producer runs again whenever it retries the
// fact (a redelivered event, a retried claim): the queue is idempotent by the event's id (the
// idempotency key subscribers see), so a retry never queues an event twice. What is lost against
// the old single script is exactly-once queuing across a crash between the two steps: a replica
// that dies after the fact and before the queue leaves the event unqueued until the fact's
// producer retries (the ingress redelivers an unacknowledged event; an API caller retries its
// claim). Delivery stays at least once (docs/redis-keys.md, services/notification/README.md).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"
#include "shared/redis/replica_ack.h"

namespace callmesh::notification {

// One event: its idempotency key and its JSON body (webhook_event.h's shape).
struct WebhookEvent {
  std::string id;
  std::string body;
};

WebhookEvent makeWebhookEvent(std::string_view type, const std::string& fact_id, int64_t at_ms,
                              const nlohmann::json& data);
// The same with `data` already JSON text (a call record, per call).
WebhookEvent makeWebhookEventText(std::string_view type, const std::string& fact_id, int64_t at_ms,
                                  const std::string& data_text);

// How long a queued event's id is remembered: far longer than any producer retries a fact (the
// ingress redelivers within seconds), short enough that the markers stay small (one short string
// per event, so about an hour of events).
inline constexpr int64_t kQueuedMarkerMs = 60 * 60 * 1000;

// Thread ownership: one per RedisClient (the script's cached SHA is per instance).
class WebhookOutbox {
 public:
  explicit WebhookOutbox(redis::RedisClient& redis, redis::ReplicaAck ack = {});
  // Queues the events not queued before, only while any subscription exists (nobody to tell:
  // nothing is kept). `what` names the fact in an error.
  Status queue(const std::vector<WebhookEvent>& events, const std::string& what);
  // The script run queue() makes, for a caller that pipelines several (CallRecordStore's
  // batches); none when there is nothing to queue.
  std::optional<redis::ScriptCall> queueCall(const std::vector<WebhookEvent>& events);

 private:
  redis::RedisClient& redis_;
  redis::ReplicaAck ack_;
  redis::RedisScript script_;
};

}  // namespace callmesh::notification
