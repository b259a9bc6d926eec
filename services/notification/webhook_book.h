#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/config/cluster_config.h"
#include "shared/redis/redis_client.h"

namespace callmesh::notification {

struct WebhookSubscription {
  std::string id;
  std::string url;
  std::vector<std::string> events;  // webhook event types (kWebhookEventTypes)
  std::string secret;               // shown once, at creation
  std::string created_by;
  int64_t created_at_ms = 0;
};

// One event on its way to one subscription.
struct WebhookDelivery {
  std::string id;  // "<subscription id>/<event id>"
  std::string subscription;
  std::string event_id;  // the idempotency key
  std::string type;
  std::string body;  // the event JSON, sent as is
  int attempts = 0;  // attempts made so far
  int64_t first_at_ms = 0;
  int64_t dead_at_ms = 0;
  std::string last_error;
};

// Webhook subscriptions, the outbox, deliveries and dead letters in Redis (docs/redis-keys.md
// `cm:{webhooks}:*`). Every step is one Lua script (one hash slot), so any number of notification
// replicas share the queue: fanOut() turns outbox events into deliveries (one per subscription
// asking for the type; a delivery id is set once, so an event fanned out twice makes one delivery);
// claimDue() leases due deliveries to one worker (their score moves to the lease's end, so a worker
// that dies mid-delivery leaves them due again: at least once); succeeded() deletes a delivery;
// failed() reschedules it or moves it to the dead letters.
// Thread ownership: none; safe from many threads when `redis` is.
class WebhookBook {
 public:
  WebhookBook(redis::RedisClient& redis, config::WebhookSettings settings);

  // Refusals (InvalidInput, context = the field): the URL (webhook_rules.h), an unknown or
  // repeated event type, no event, past max_subscriptions.
  Result<WebhookSubscription> subscribe(const std::string& url,
                                        const std::vector<std::string>& events,
                                        const std::string& by, int64_t now_ms);
  Result<std::vector<WebhookSubscription>> subscriptions();  // without secrets
  Result<std::optional<WebhookSubscription>> subscription(const std::string& id);  // with secret
  Result<bool> unsubscribe(const std::string& id);

  // Moves up to `max_events` outbox events into deliveries; returns how many it took.
  Result<int64_t> fanOut(int64_t now_ms, int max_events);
  // Leases up to `max` due deliveries for `lease_ms`; returns them loaded (a delivery whose
  // subscription is gone is dropped).
  Result<std::vector<WebhookDelivery>> claimDue(int64_t now_ms, int64_t lease_ms, int max);
  Status succeeded(const WebhookDelivery& d);
  // Returns true when the delivery went to the dead letters.
  Result<bool> failed(const WebhookDelivery& d, const std::string& error, int64_t now_ms);

  // Dead letters, newest first, at most `limit` from `offset`.
  Result<std::vector<WebhookDelivery>> deadLetters(size_t offset, size_t limit);
  Result<int64_t> queueDepth();  // deliveries waiting or in flight
  Result<int64_t> deadCount();
  const config::WebhookSettings& settings() const { return settings_; }

 private:
  Result<std::vector<WebhookDelivery>> load(const std::vector<std::string>& ids);

  redis::RedisClient& redis_;
  config::WebhookSettings settings_;
  redis::RedisScript fan_out_;
  redis::RedisScript claim_;
  redis::RedisScript fail_;
};

}  // namespace callmesh::notification
