// Texts out through the API (text_api.h).
#include <optional>

#include <nlohmann/json.hpp>

#include "services/notification/agent_book.h"
#include "services/notification/api_claim.h"
#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/text_api.h"
#include "services/notification/text_rate_limit.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;
using Type = BodyField::Type;

// Sends one text through the gateway and answers the outcome: 200 with `extra` plus from, to and
// the gateway's SIP status; 504 without a final response; 502 when the gateway refused.
ApiReply sendText(ApiDeps& d, const std::string& from, const std::string& to,
                  const std::string& text, json extra) {
  auto status = d.texts->send(from, to, text);
  if (!status.ok()) {
    d.metrics.texts_failed.Increment();
    d.log.warn("text_failed", {{"error", status.error().describe()}});
    return refuse(504, "gateway_timeout", "the SMS gateway gave no final answer in time");
  }
  if (*status < 200 || *status >= 300) {
    d.metrics.texts_failed.Increment();
    return refuse(502, "gateway_refused", "the SMS gateway answered " + std::to_string(*status),
                  {{"sip_status", *status}});
  }
  d.metrics.texts_sent.Increment();
  extra["from"] = from;
  extra["to"] = to;
  extra["sip_status"] = *status;
  return reply(200, extra);
}

// The per-agent text rate: nullopt when `agent` may send one now (counted), else the 429.
std::optional<ApiReply> rateRefusal(ApiDeps& d, const std::string& agent) {
  int64_t wait_ms = d.text_limits.admit(agent, d.clock.nowMs());
  if (wait_ms == 0) return std::nullopt;
  d.metrics.texts_limited.Increment();
  int64_t seconds = (wait_ms + 999) / 1000;
  ApiReply r = refuse(429, "rate_limited",
                      "agent '" + agent + "' sent texts faster than " +
                          std::to_string(d.config.notification.text_rate_per_minute) +
                          " a minute; retry in " + std::to_string(seconds) + " s",
                      {{"retry_after_s", seconds}});
  r.headers.push_back({"Retry-After", std::to_string(seconds)});
  return r;
}

config::AgentNumbers agentNumbers(const ApiDeps& d, const std::string& agent) {
  return d.agents.numbersOf(agent).value_or(config::AgentNumbers{});
}

// seed 004: one text is 1..1600 bytes. The refusal, or nullopt.
std::optional<ApiReply> textLengthRefusal(const std::string& text) {
  if (!text.empty() && text.size() <= 1600) return std::nullopt;
  return refuse(400, "invalid_request", "field 'text' must be 1..1600 bytes", {{"field", "text"}});
}

// The sender of a /v1/texts text: `from` (personal or company) for manual texts, the sender-ID
// chain for auto texts; a wrong mode/from pair is a 400 in `refusal`.
Result<std::string> senderFor(const json& body, const std::string& mode,
                              const config::AgentNumbers& numbers,
                              std::optional<ApiReply>& refusal) {
  auto no = [&](const std::string& message, const char* field) -> Result<std::string> {
    refusal = refuse(400, "invalid_request", message, {{"field", field}});
    return Error{ErrorKind::InvalidInput, message, field};
  };
  if (mode == "manual") {
    if (!body.contains("from")) {
      return no("field 'from' (personal or company) is required for manual texts", "from");
    }
    return manualTextSender(numbers, body["from"].get<std::string>());
  }
  if (mode == "auto") {
    if (body.contains("from")) {
      return no("field 'from' is not allowed for auto texts (the sender ID chain decides)", "from");
    }
    return autoTextSender(numbers);
  }
  return no("field 'mode' must be manual or auto", "mode");
}

std::optional<ApiReply> textsDisabled(const ApiDeps& d) {
  if (d.texts) return std::nullopt;
  return refuse(503, "texts_disabled", "notification.text_gateway is not set");
}

}  // namespace

ApiReply textBack(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto body = parseBody(req.body, {{"text", Type::String, true}, {"from", Type::String, true}});
  if (!body.ok()) return refuseInput(body.error());
  std::string text = (*body)["text"];
  if (auto refusal = textLengthRefusal(text)) return *refusal;
  auto from = manualTextSender(agentNumbers(d, who.agent_id), (*body)["from"].get<std::string>());
  if (!from.ok()) return refuseInput(from.error());
  if (auto refusal = textsDisabled(d)) return *refusal;
  const std::string& id = req.param(0);
  auto visible = d.store.get(id);
  if (visible.ok() && visible->has_value() && !isE164((*visible)->caller) &&
      mayClaim(**visible, who.agent_id)) {
    return refuse(422, "not_textable",
                  "the caller '" + (*visible)->caller + "' is not an E.164 number");
  }
  if (auto refusal = rateRefusal(d, who.agent_id)) return *refusal;
  auto c = claimFor(d, id, who, ClaimAction::TextBack);
  if (!c.won) return c.refusal;
  return sendText(d, *from, c.record.caller, text, {{"notification", recordJson(c.record)}});
}

ApiReply sendTextTo(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto body = parseBody(req.body, {{"to", Type::String, true},
                                   {"text", Type::String, true},
                                   {"mode", Type::String, true},
                                   {"from", Type::String, false},
                                   {"agent_id", Type::String, false}});
  if (!body.ok()) return refuseInput(body.error());
  std::string agent = body->value("agent_id", who.agent_id);
  if (agent != who.agent_id && !who.admin) {
    return refuse(403, "forbidden",
                  "agent '" + who.agent_id + "' may not send texts as '" + agent + "'",
                  {{"field", "agent_id"}});
  }
  std::string to = (*body)["to"];
  std::string text = (*body)["text"];
  std::string mode = (*body)["mode"];
  if (!isE164(to)) {
    return refuse(400, "invalid_request", "field 'to' must be E.164 like +15550100",
                  {{"field", "to"}});
  }
  if (auto refusal = textLengthRefusal(text)) return *refusal;
  std::optional<ApiReply> refusal;
  auto from = senderFor(*body, mode, agentNumbers(d, agent), refusal);
  if (refusal) return *refusal;
  if (!from.ok()) return refuseInput(from.error());
  if (auto off = textsDisabled(d)) return *off;
  // Counted against the agent the text is sent as (an admin sending as alice spends alice's).
  if (auto limited = rateRefusal(d, agent)) return *limited;
  return sendText(d, *from, to, text, {{"agent_id", agent}, {"mode", mode}});
}

void addTextRoutes(ApiRoutes& routes) {
  routes.post(R"(/v1/notifications/([^/]+)/text)", Access::AnyToken, textBack);
  routes.post("/v1/texts", Access::AnyToken, sendTextTo);
}

}  // namespace callmesh::notification
