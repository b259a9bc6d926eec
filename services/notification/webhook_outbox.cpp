#include "services/notification/webhook_outbox.h"

#include "services/notification/webhook_event.h"
#include "shared/redis/keys.h"

namespace callmesh::notification {

namespace {

// KEYS: 1 subscriptions, 2 outbox, then one queued-marker per event (all in the `{webhooks}`
// slot). ARGV: 1 marker ms, then the events' bodies in the markers' order.
// Returns how many events were queued now.
constexpr const char* kQueueLua = R"lua(
if redis.call('SCARD', KEYS[1]) == 0 then return 0 end
local queued = 0
for i = 3, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'PX', ARGV[1]) then
    redis.call('RPUSH', KEYS[2], ARGV[i - 1])
    queued = queued + 1
  end
end
return queued
)lua";

}  // namespace

WebhookEvent makeWebhookEvent(std::string_view type, const std::string& fact_id, int64_t at_ms,
                              const nlohmann::json& data) {
  return WebhookEvent{std::string(type) + ":" + fact_id,
                      webhookEventJson(type, fact_id, at_ms, data)};
}

WebhookEvent makeWebhookEventText(std::string_view type, const std::string& fact_id, int64_t at_ms,
                                  const std::string& data_text) {
  return WebhookEvent{std::string(type) + ":" + fact_id,
                      webhookEventText(type, fact_id, at_ms, data_text)};
}

WebhookOutbox::WebhookOutbox(redis::RedisClient& redis, redis::ReplicaAck ack)
    : redis_(redis), ack_(ack) {
  script_.body = kQueueLua;
}

std::optional<redis::ScriptCall> WebhookOutbox::queueCall(const std::vector<WebhookEvent>& events) {
  if (events.empty()) return std::nullopt;
  namespace wk = redis::webhook_keys;
  redis::ScriptCall call{
      &script_, {wk::kSubscriptions, wk::kOutbox}, {std::to_string(kQueuedMarkerMs)}};
  for (const auto& e : events) {
    call.keys.push_back(wk::queued(e.id));
    call.args.push_back(e.body);
  }
  return call;
}

Status WebhookOutbox::queue(const std::vector<WebhookEvent>& events, const std::string& what) {
  auto call = queueCall(events);
  if (!call) return {};
  auto reply = redis::evalScriptReplicated(redis_, *call->script, call->keys, call->args, ack_);
  if (!reply.ok()) {
    Error e = reply.error();
    return Error{e.kind, e.message, "webhook outbox for " + what};
  }
  if (reply->type == redis::RedisReply::Type::Error) {
    return Error{ErrorKind::Internal, reply->text, "webhook outbox for " + what};
  }
  return {};
}

}  // namespace callmesh::notification
