#pragma once

// The events webhooks deliver (issue 20) and the one JSON shape they go out in. Producers build
// them here and queue them right after the fact is durable (webhook_outbox.h: idempotent by the
// event's id, so a retried fact never queues its event twice).
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "services/notification/json_text.h"

namespace callmesh::notification {

inline constexpr std::string_view kWebhookEventTypes[] = {
    "call.ended", "call.missed", "notification.created", "notification.claimed", "contact.created"};

inline bool isWebhookEventType(std::string_view type) {
  for (auto t : kWebhookEventTypes) {
    if (t == type) return true;
  }
  return false;
}

// {"id", "type", "created_at_ms", "data"}: `id` is the idempotency key (type and the fact's own
// id, so the same fact always carries the same key), sent again on every retry.
inline std::string webhookEventJson(std::string_view type, const std::string& fact_id,
                                    int64_t at_ms, const nlohmann::json& data) {
  nlohmann::json ev = {{"id", std::string(type) + ":" + fact_id},
                       {"type", std::string(type)},
                       {"created_at_ms", at_ms},
                       {"data", data}};
  // Texts from SIP may hold invalid UTF-8: replaced, never thrown on.
  return ev.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The same event around `data_text`, a JSON value already written (callRecordText): the bytes
// webhookEventJson gives for it, without parsing or copying it as an nlohmann::json.
inline std::string webhookEventText(std::string_view type, const std::string& fact_id,
                                    int64_t at_ms, const std::string& data_text) {
  std::string out;
  out.reserve(data_text.size() + 96 + fact_id.size());
  JsonObjectText o(out);
  o.integer("created_at_ms", at_ms).key("data");
  out += data_text;
  o.text("id", std::string(type) + ":" + fact_id).text("type", type).close();
  return out;
}

}  // namespace callmesh::notification
