// Texts out through the API (seed 004 "Texts"): text back on a notification (a claim), and a
// text to any E.164 number (POST /v1/texts). The sender number comes from the sender-ID chain in
// text_sender.h; the text goes only to notification.text_gateway.
#include <httplib.h>

#include <optional>

#include <nlohmann/json.hpp>

#include "services/notification/api_claim.h"
#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;
using Type = BodyField::Type;

// Sends one text through the gateway and answers the outcome: 200 with `extra` plus from, to and
// the gateway's SIP status; 504 without a final response; 502 when the gateway refused.
void sendText(ApiDeps& d, const std::string& from, const std::string& to, const std::string& text,
              httplib::Response& res, json extra) {
  auto status = d.texts->send(from, to, text);
  if (!status.ok()) {
    d.metrics.texts_failed.Increment();
    return refuse(res, 504, "gateway_timeout", status.error().describe());
  }
  if (*status < 200 || *status >= 300) {
    d.metrics.texts_failed.Increment();
    return refuse(res, 502, "gateway_refused",
                  "the SMS gateway answered " + std::to_string(*status), {{"sip_status", *status}});
  }
  d.metrics.texts_sent.Increment();
  extra["from"] = from;
  extra["to"] = to;
  extra["sip_status"] = *status;
  reply(res, 200, extra);
}

config::AgentNumbers agentNumbers(const ApiDeps& d, const std::string& agent) {
  auto it = d.config.notification.agents.find(agent);
  return it == d.config.notification.agents.end() ? config::AgentNumbers{} : it->second;
}

// seed 004: one text is 1..1600 bytes. False after answering the refusal.
bool textLengthOk(const std::string& text, httplib::Response& res) {
  if (!text.empty() && text.size() <= 1600) return true;
  refuse(res, 400, "invalid_request", "field 'text' must be 1..1600 bytes", {{"field", "text"}});
  return false;
}

// The sender of a /v1/texts text: `from` (personal or company) for manual texts, the sender-ID
// chain for auto texts. Nullopt after answering the refusal of a wrong mode/from pair.
std::optional<Result<std::string>> senderFor(const json& body, const std::string& mode,
                                             const config::AgentNumbers& numbers,
                                             httplib::Response& res) {
  if (mode == "manual") {
    if (!body.contains("from")) {
      refuse(res, 400, "invalid_request",
             "field 'from' (personal or company) is required for manual texts",
             {{"field", "from"}});
      return std::nullopt;
    }
    return manualTextSender(numbers, body["from"].get<std::string>());
  }
  if (mode == "auto") {
    if (body.contains("from")) {
      refuse(res, 400, "invalid_request",
             "field 'from' is not allowed for auto texts (the sender ID chain decides)",
             {{"field", "from"}});
      return std::nullopt;
    }
    return autoTextSender(numbers);
  }
  refuse(res, 400, "invalid_request", "field 'mode' must be manual or auto", {{"field", "mode"}});
  return std::nullopt;
}

bool textsEnabled(const ApiDeps& d, httplib::Response& res) {
  if (d.texts) return true;
  refuse(res, 503, "texts_disabled", "notification.text_gateway is not set");
  return false;
}

}  // namespace

void addTextRoutes(ApiRoutes& routes) {
  ApiDeps& d = routes.deps();

  routes.post(R"(/v1/notifications/([^/]+)/text)", Access::AnyToken,
              [&d](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                auto body = parseBody(req.body,
                                      {{"text", Type::String, true}, {"from", Type::String, true}});
                if (!body.ok()) return refuseInput(res, body.error());
                std::string text = (*body)["text"];
                if (!textLengthOk(text, res)) return;
                auto from = manualTextSender(agentNumbers(d, who.agent_id),
                                             (*body)["from"].get<std::string>());
                if (!from.ok()) return refuseInput(res, from.error());
                if (!textsEnabled(d, res)) return;
                auto visible = d.store.get(req.matches[1]);
                if (visible.ok() && visible->has_value() && !isE164((*visible)->caller) &&
                    visibleTo(**visible, who.agent_id)) {
                  return refuse(res, 422, "not_textable",
                                "the caller '" + (*visible)->caller + "' is not an E.164 number");
                }
                auto r = claimOrRefuse(d, req.matches[1], who, ClaimAction::TextBack, res);
                if (!r) return;
                sendText(d, *from, r->caller, text, res, {{"notification", recordJson(*r)}});
              });

  routes.post("/v1/texts", Access::AnyToken,
              [&d](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                auto body = parseBody(req.body, {{"to", Type::String, true},
                                                 {"text", Type::String, true},
                                                 {"mode", Type::String, true},
                                                 {"from", Type::String, false},
                                                 {"agent_id", Type::String, false}});
                if (!body.ok()) return refuseInput(res, body.error());
                std::string agent = body->value("agent_id", who.agent_id);
                if (agent != who.agent_id && !who.admin) {
                  return refuse(
                      res, 403, "forbidden",
                      "agent '" + who.agent_id + "' may not send texts as '" + agent + "'",
                      {{"field", "agent_id"}});
                }
                std::string to = (*body)["to"];
                std::string text = (*body)["text"];
                std::string mode = (*body)["mode"];
                if (!isE164(to)) {
                  return refuse(res, 400, "invalid_request",
                                "field 'to' must be E.164 like +15550100", {{"field", "to"}});
                }
                if (!textLengthOk(text, res)) return;
                auto from = senderFor(*body, mode, agentNumbers(d, agent), res);
                if (!from) return;
                if (!from->ok()) return refuseInput(res, from->error());
                if (!textsEnabled(d, res)) return;
                sendText(d, **from, to, text, res, {{"agent_id", agent}, {"mode", mode}});
              });
}

}  // namespace callmesh::notification
