#include "services/notification/api_server.h"

#include "shared/redis/slot_keys.h"

#include <httplib.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>

#include "services/notification/api_json.h"
#include "services/notification/console_files.h"
#include "services/notification/notification_service.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;
using Type = BodyField::Type;

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump() + "\n", "application/json");
}

void refuse(httplib::Response& res, int status, const std::string& code, const std::string& message,
            const json& extra = json::object()) {
  json body = {{"error", code}, {"message", message}};
  for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
  reply(res, status, body);
}

void refuseInput(httplib::Response& res, const Error& e) {
  json extra = json::object();
  if (!e.context.empty()) extra["field"] = e.context;
  refuse(res, 400, "invalid_request", e.message, extra);
}

void redisDown(httplib::Response& res, const Error& e) {
  refuse(res, 503, "unavailable", "state store unavailable: " + e.describe());
}

bool hasComma(const std::vector<std::string>& items) {
  return std::any_of(items.begin(), items.end(),
                     [](const std::string& s) { return s.find(',') != std::string::npos; });
}

std::vector<std::string> strings(const json& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.get<std::string>());
  return out;
}

int64_t toInt(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoll(s);
  } catch (...) {
    return 0;
  }
}

}  // namespace

ApiMetrics::ApiMetrics(prometheus::Registry& registry)
    : requests_family(prometheus::BuildCounter()
                          .Name("callmesh_notification_api_requests_total")
                          .Help("HTTP API requests by status class")
                          .Register(registry)),
      streams(prometheus::BuildGauge()
                  .Name("callmesh_notification_api_streams")
                  .Help("Open Server-Sent Event streams")
                  .Register(registry)
                  .Add({})),
      texts_sent(prometheus::BuildCounter()
                     .Name("callmesh_notification_texts_sent_total")
                     .Help("Texts the gateway accepted (2xx)")
                     .Register(registry)
                     .Add({})),
      texts_failed(prometheus::BuildCounter()
                       .Name("callmesh_notification_texts_failed_total")
                       .Help("Texts refused by the gateway or without a final response")
                       .Register(registry)
                       .Add({})),
      claims_family(
          prometheus::BuildCounter()
              .Name("callmesh_notification_claims_total")
              .Help("Claim attempts through the API by outcome (won, repeat, held, not_found)")
              .Register(registry)),
      time_to_claim_seconds(
          prometheus::BuildHistogram()
              .Name("callmesh_notification_time_to_claim_seconds")
              .Help("From the call's end (or the text's arrival) to the first claim of its record")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{5, 15, 30, 60, 120, 300, 600, 1800,
                                                               3600, 14400, 86400})) {
  for (const char* outcome : {"won", "repeat", "held", "not_found"}) claims(outcome);
}

ApiServer::ApiServer(ApiDeps deps, int threads)
    : deps_(deps), server_(std::make_unique<httplib::Server>()) {
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(64 * 1024);
  routes();
}

ApiServer::~ApiServer() { stop(); }

Status ApiServer::start(const std::string& host_port) {
  std::string host;
  int port = 0;
  if (host_port.size() > 2 && host_port.substr(host_port.size() - 2) == ":0") {
    host = host_port.substr(0, host_port.size() - 2);
  } else if (!config::splitHostPort(host_port, host, port)) {
    return Error{ErrorKind::InvalidInput, "API address must be host:port", host_port};
  }
  if (const auto& dir = deps_.config.notification.console_dir;
      !dir.empty() && !consoleFile(dir, "/")) {
    return Error{ErrorKind::InvalidInput,
                 "notification.console_dir has no index.html (build the console: npm run build)",
                 dir};
  }
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ < 0) return Error{ErrorKind::Disconnected, "cannot bind the HTTP API", host_port};
  } else {
    if (!server_->bind_to_port(host, port)) {
      return Error{ErrorKind::Disconnected, "cannot bind the HTTP API (port in use?)", host_port};
    }
    port_ = port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return {};
}

void ApiServer::stop() {
  deps_.hub.close();  // ends every stream, so the workers can finish
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

void ApiServer::routes() {
  ApiDeps& d = deps_;
  auto& srv = *server_;

  // Authenticates, then runs `body`; admin_only refuses agents with 403.
  using Handler =
      std::function<void(const httplib::Request&, httplib::Response&, const Principal&)>;
  auto guarded = [&d](bool admin_only, Handler body) {
    return [&d, admin_only, body](const httplib::Request& req, httplib::Response& res) {
      const std::string& auth = req.get_header_value("Authorization");
      const std::string prefix = "Bearer ";
      if (auth.rfind(prefix, 0) != 0) {
        res.set_header("WWW-Authenticate", "Bearer");
        refuse(res, 401, "unauthenticated", "missing 'Authorization: Bearer <token>' header");
      } else if (auto it = d.config.notification.tokens.find(auth.substr(prefix.size()));
                 it == d.config.notification.tokens.end()) {
        res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        refuse(res, 401, "unauthenticated", "unknown bearer token");
      } else {
        Principal who{it->second.agent_id, it->second.role == config::ApiRole::Admin};
        if (admin_only && !who.admin) {
          refuse(res, 403, "forbidden",
                 "role 'admin' required for " + req.method + " " + req.path + " (you are agent '" +
                     who.agent_id + "')");
        } else {
          try {
            body(req, res, who);
          } catch (const std::exception& e) {
            d.log.error("api_handler_failed", {{"path", req.path}, {"error", e.what()}});
            refuse(res, 500, "internal", "internal error");
          }
        }
      }
      d.metrics.requests(res.status).Increment();
    };
  };

  // --- identity --------------------------------------------------------------------------------
  srv.Get("/v1/me",
          guarded(false, [](const httplib::Request&, httplib::Response& res, const Principal& who) {
            reply(res, 200, {{"agent_id", who.agent_id}, {"role", who.admin ? "admin" : "agent"}});
          }));

  // --- notifications and records (seed 004 "Call Notification") -------------------------------
  auto listMine = [&d](bool records) {
    return [&d, records](const httplib::Request&, httplib::Response& res, const Principal& who) {
      auto list = d.store.listForAgent(who.agent_id, 200);
      if (!list.ok()) return redisDown(res, list.error());
      json out = json::array();
      for (const auto& r : *list) {
        bool is_record = r.kind == NotificationKind::AnsweredCall;
        if (is_record == records) out.push_back(recordJson(r));
      }
      reply(res, 200, {{records ? "records" : "notifications", out}});
    };
  };
  srv.Get("/v1/notifications", guarded(false, listMine(false)));
  srv.Get("/v1/records", guarded(false, listMine(true)));
  srv.Get("/v1/notifications/unclaimed",
          guarded(true, [&d](const httplib::Request&, httplib::Response& res, const Principal&) {
            auto list = d.store.listUnclaimed(500);
            if (!list.ok()) return redisDown(res, list.error());
            json out = json::array();
            for (const auto& r : *list) out.push_back(recordJson(r));
            reply(res, 200, {{"notifications", out}});
          }));
  srv.Get(R"(/v1/notifications/([^/]+))",
          guarded(false, [&d](const httplib::Request& req, httplib::Response& res,
                              const Principal& who) {
            std::string id = req.matches[1];
            auto r = d.store.get(id);
            if (!r.ok()) return redisDown(res, r.error());
            // Another agent's record looks exactly like a missing one.
            if (!r->has_value() || !visibleTo(**r, who.agent_id)) {
              return refuse(res, 404, "not_found",
                            "no notification '" + id + "' visible to agent '" + who.agent_id + "'");
            }
            reply(res, 200, recordJson(**r));
          }));

  // Claims `id` for `who`; on success returns the record, else answers the refusal and nullopt.
  auto claim = [&d](const std::string& id, const Principal& who, ClaimAction action,
                    httplib::Response& res) -> std::optional<NotificationRecord> {
    auto before = d.store.get(id);
    if (!before.ok()) {
      redisDown(res, before.error());
      return std::nullopt;
    }
    auto c = d.store.claim(id, who.agent_id, action, d.clock.nowMs());
    if (!c.ok()) {
      redisDown(res, c.error());
      return std::nullopt;
    }
    switch (c->outcome) {
      case ClaimOutcome::NotFound:
        d.metrics.claims("not_found").Increment();
        refuse(res, 404, "not_found",
               "no notification '" + id + "' visible to agent '" + who.agent_id + "'");
        return std::nullopt;
      case ClaimOutcome::HeldByOther:
        d.metrics.claims("held").Increment();
        refuse(res, 409, "already_claimed",
               "notification '" + id + "' was already claimed by agent '" + c->holder + "' (" +
                   c->action + ")",
               {{"claimed_by", c->holder}, {"claim_action", c->action}});
        return std::nullopt;
      case ClaimOutcome::Won:
        d.metrics.claims(c->first ? "won" : "repeat").Increment();
        break;
    }
    auto after = d.store.get(id);
    if (!after.ok() || !after->has_value()) {
      redisDown(res, after.ok() ? Error{ErrorKind::Internal, "claimed record vanished", id}
                                : after.error());
      return std::nullopt;
    }
    if (c->first) {
      if (before->has_value() && (*before)->at_ms > 0) {
        int64_t waited_ms = (*after)->claimed_at_ms - (*before)->at_ms;
        d.metrics.time_to_claim_seconds.Observe(
            static_cast<double>(std::max<int64_t>(waited_ms, 0)) / 1000.0);
      }
      json bus = {
          {"event", "notification.claimed"},
          {"id", id},
          {"claimed_by", who.agent_id},
          {"action", std::string(actionName(action))},
          {"visible_to", before->has_value() ? (*before)->visible_to : std::vector<std::string>{}}};
      if (auto st = publishEvent(d.redis, bus.dump()); !st.ok()) {
        d.log.warn("event_publish_failed", {{"id", id}, {"error", st.error().describe()}});
      }
      d.log.info("notification_claimed",
                 {{"id", id}, {"agent_id", who.agent_id}, {"action", actionName(action)}});
    }
    return **after;
  };

  srv.Post(R"(/v1/notifications/([^/]+)/claim)",
           guarded(false, [&d, claim](const httplib::Request& req, httplib::Response& res,
                                      const Principal& who) {
             auto body = parseBody(req.body, {{"action", Type::String, true}});
             if (!body.ok()) return refuseInput(res, body.error());
             std::string name = (*body)["action"];
             auto action = parseAction(name);
             if (!action || *action == ClaimAction::CreateContact ||
                 *action == ClaimAction::AssociateContact) {
               return refuse(res, 400, "invalid_request",
                             "field 'action' must be call_back or text_back (contacts: POST "
                             ".../contact or .../associate)",
                             {{"field", "action"}});
             }
             auto r = claim(req.matches[1], who, *action, res);
             if (!r) return;
             reply(res, 200, {{"notification", recordJson(*r)}});
           }));

  srv.Post(R"(/v1/notifications/([^/]+)/contact)",
           guarded(false, [&d, claim](const httplib::Request& req, httplib::Response& res,
                                      const Principal& who) {
             auto body = parseBody(
                 req.body, {{"name", Type::String, true}, {"primary_agent", Type::String, false}});
             if (!body.ok()) return refuseInput(res, body.error());
             std::string name = (*body)["name"];
             if (name.empty() || name.size() > 200) {
               return refuse(res, 400, "invalid_request", "field 'name' must be 1..200 characters",
                             {{"field", "name"}});
             }
             auto r = claim(req.matches[1], who, ClaimAction::CreateContact, res);
             if (!r) return;
             // seed 004: Source = the company number's Source; its Tag added.
             auto c = d.contacts.create(
                 contactFromNotification(name, r->caller, r->source, r->tag,
                                         body->value("primary_agent", who.agent_id)),
                 d.clock.nowMs());
             if (!c.ok()) return redisDown(res, c.error());
             reply(res, 201, {{"contact", contactJson(*c)}, {"notification", recordJson(*r)}});
           }));

  srv.Post(R"(/v1/notifications/([^/]+)/associate)",
           guarded(false, [&d, claim](const httplib::Request& req, httplib::Response& res,
                                      const Principal& who) {
             auto body = parseBody(req.body, {{"contact_id", Type::String, true}});
             if (!body.ok()) return refuseInput(res, body.error());
             std::string contact_id = (*body)["contact_id"];
             auto existing = d.contacts.get(contact_id);
             if (!existing.ok()) return redisDown(res, existing.error());
             if (!existing->has_value()) {
               return refuse(res, 404, "not_found", "no contact '" + contact_id + "'",
                             {{"field", "contact_id"}});
             }
             auto r = claim(req.matches[1], who, ClaimAction::AssociateContact, res);
             if (!r) return;
             auto c = d.contacts.associate(contact_id, r->caller, r->source, r->tag);
             if (!c.ok()) return redisDown(res, c.error());
             if (!c->has_value()) {
               return refuse(res, 404, "not_found", "contact '" + contact_id + "' was deleted");
             }
             reply(res, 200, {{"contact", contactJson(**c)}, {"notification", recordJson(*r)}});
           }));

  // Sends one text through the gateway; answers the outcome.
  auto sendText = [&d](const std::string& from, const std::string& to, const std::string& text,
                       httplib::Response& res, json extra) {
    auto status = d.texts->send(from, to, text);
    if (!status.ok()) {
      d.metrics.texts_failed.Increment();
      return refuse(res, 504, "gateway_timeout", status.error().describe());
    }
    if (*status < 200 || *status >= 300) {
      d.metrics.texts_failed.Increment();
      return refuse(res, 502, "gateway_refused",
                    "the SMS gateway answered " + std::to_string(*status),
                    {{"sip_status", *status}});
    }
    d.metrics.texts_sent.Increment();
    extra["from"] = from;
    extra["to"] = to;
    extra["sip_status"] = *status;
    reply(res, 200, extra);
  };
  auto agentNumbers = [&d](const std::string& agent) {
    auto it = d.config.notification.agents.find(agent);
    return it == d.config.notification.agents.end() ? config::AgentNumbers{} : it->second;
  };

  srv.Post(R"(/v1/notifications/([^/]+)/text)",
           guarded(false, [&d, claim, sendText, agentNumbers](const httplib::Request& req,
                                                              httplib::Response& res,
                                                              const Principal& who) {
             auto body =
                 parseBody(req.body, {{"text", Type::String, true}, {"from", Type::String, true}});
             if (!body.ok()) return refuseInput(res, body.error());
             std::string text = (*body)["text"];
             if (text.empty() || text.size() > 1600) {
               return refuse(res, 400, "invalid_request", "field 'text' must be 1..1600 bytes",
                             {{"field", "text"}});
             }
             auto from =
                 manualTextSender(agentNumbers(who.agent_id), (*body)["from"].get<std::string>());
             if (!from.ok()) return refuseInput(res, from.error());
             if (!d.texts) {
               return refuse(res, 503, "texts_disabled", "notification.text_gateway is not set");
             }
             auto visible = d.store.get(req.matches[1]);
             if (visible.ok() && visible->has_value() && !isE164((*visible)->caller) &&
                 visibleTo(**visible, who.agent_id)) {
               return refuse(res, 422, "not_textable",
                             "the caller '" + (*visible)->caller + "' is not an E.164 number");
             }
             auto r = claim(req.matches[1], who, ClaimAction::TextBack, res);
             if (!r) return;
             sendText(*from, r->caller, text, res, {{"notification", recordJson(*r)}});
           }));

  srv.Post("/v1/texts", guarded(false, [&d, sendText, agentNumbers](const httplib::Request& req,
                                                                    httplib::Response& res,
                                                                    const Principal& who) {
             auto body = parseBody(req.body, {{"to", Type::String, true},
                                              {"text", Type::String, true},
                                              {"mode", Type::String, true},
                                              {"from", Type::String, false},
                                              {"agent_id", Type::String, false}});
             if (!body.ok()) return refuseInput(res, body.error());
             std::string agent = body->value("agent_id", who.agent_id);
             if (agent != who.agent_id && !who.admin) {
               return refuse(res, 403, "forbidden",
                             "agent '" + who.agent_id + "' may not send texts as '" + agent + "'",
                             {{"field", "agent_id"}});
             }
             std::string to = (*body)["to"];
             std::string text = (*body)["text"];
             std::string mode = (*body)["mode"];
             if (!isE164(to)) {
               return refuse(res, 400, "invalid_request", "field 'to' must be E.164 like +15550100",
                             {{"field", "to"}});
             }
             if (text.empty() || text.size() > 1600) {
               return refuse(res, 400, "invalid_request", "field 'text' must be 1..1600 bytes",
                             {{"field", "text"}});
             }
             Result<std::string> from = std::string();
             if (mode == "manual") {
               if (!body->contains("from")) {
                 return refuse(res, 400, "invalid_request",
                               "field 'from' (personal or company) is required for manual texts",
                               {{"field", "from"}});
               }
               from = manualTextSender(agentNumbers(agent), (*body)["from"].get<std::string>());
             } else if (mode == "auto") {
               if (body->contains("from")) {
                 return refuse(res, 400, "invalid_request",
                               "field 'from' is not allowed for auto texts (the sender ID chain "
                               "decides)",
                               {{"field", "from"}});
               }
               from = autoTextSender(agentNumbers(agent));
             } else {
               return refuse(res, 400, "invalid_request", "field 'mode' must be manual or auto",
                             {{"field", "mode"}});
             }
             if (!from.ok()) return refuseInput(res, from.error());
             if (!d.texts) {
               return refuse(res, 503, "texts_disabled", "notification.text_gateway is not set");
             }
             sendText(*from, to, text, res, {{"agent_id", agent}, {"mode", mode}});
           }));

  // --- presence --------------------------------------------------------------------------------
  auto setPresence = [&d](const std::string& agent, const httplib::Request& req,
                          httplib::Response& res) {
    auto body = parseBody(req.body, {{"availability", Type::String, true}});
    if (!body.ok()) return refuseInput(res, body.error());
    std::string a = (*body)["availability"];
    if (!validAvailability(a)) {
      return refuse(res, 400, "invalid_request",
                    "field 'availability' must be available, away, offline or dnd",
                    {{"field", "availability"}});
    }
    auto view = d.presence.setAvailability(agent, a);
    if (!view.ok()) {
      return refuse(res, 503, "unavailable", "agent-presence: " + view.error().describe());
    }
    reply(res, 200, presenceJson(*view));
  };
  srv.Put(
      "/v1/presence",
      guarded(false, [setPresence](const httplib::Request& req, httplib::Response& res,
                                   const Principal& who) { setPresence(who.agent_id, req, res); }));
  srv.Put(R"(/v1/agents/([^/]+)/presence)",
          guarded(false, [setPresence](const httplib::Request& req, httplib::Response& res,
                                       const Principal& who) {
            std::string agent = req.matches[1];
            if (agent != who.agent_id && !who.admin) {
              return refuse(
                  res, 403, "forbidden",
                  "agent '" + who.agent_id + "' may not set the presence of '" + agent + "'");
            }
            setPresence(agent, req, res);
          }));
  auto knownAgents = [&d] {
    std::set<std::string> ids;
    const auto& n = d.config.notification;
    for (const auto& [t, tok] : n.tokens) {
      if (tok.role == config::ApiRole::Agent) ids.insert(tok.agent_id);
    }
    for (const auto& [num, s] : n.numbers)
      ids.insert(s.selected_agents.begin(), s.selected_agents.end());
    for (const auto& [id, a] : n.agents) ids.insert(id);
    for (const auto& [id, a] : d.config.presence.agents) ids.insert(id);
    return std::vector<std::string>(ids.begin(), ids.end());
  };
  srv.Get("/v1/agents", guarded(true, [&d, knownAgents](const httplib::Request&,
                                                        httplib::Response& res, const Principal&) {
            auto views = d.presence.query(knownAgents());
            if (!views.ok()) {
              return refuse(res, 503, "unavailable", "agent-presence: " + views.error().describe());
            }
            json out = json::array();
            for (const auto& v : *views) {
              json a = presenceJson(v);
              auto it = d.config.notification.agents.find(v.agent_id);
              if (it != d.config.notification.agents.end()) {
                a["personal_number"] = it->second.personal_number;
                a["company_number"] = it->second.company_number;
                a["sender_id"] = it->second.sender_id;
              }
              out.push_back(a);
            }
            reply(res, 200, {{"agents", out}});
          }));
  srv.Get(R"(/v1/agents/([^/]+))",
          guarded(false, [&d](const httplib::Request& req, httplib::Response& res,
                              const Principal& who) {
            std::string agent = req.matches[1];
            if (agent != who.agent_id && !who.admin) {
              return refuse(res, 403, "forbidden",
                            "agent '" + who.agent_id + "' may not read agent '" + agent + "'");
            }
            auto views = d.presence.query({agent});
            if (!views.ok() || views->empty()) {
              return refuse(res, 503, "unavailable", "agent-presence did not answer");
            }
            reply(res, 200, presenceJson(views->front()));
          }));

  // --- contacts (admin) ------------------------------------------------------------------------
  // Checks a contact body's values; fills `c`. Returns false after answering the refusal.
  auto contactFrom = [](const json& b, Contact& c, httplib::Response& res) {
    if (b.contains("name")) c.name = b["name"];
    if (b.contains("numbers")) c.numbers = strings(b["numbers"]);
    if (b.contains("primary_agent")) c.primary_agent = b["primary_agent"];
    if (b.contains("source")) c.source = b["source"];
    if (b.contains("tags")) c.tags = strings(b["tags"]);
    if (c.name.empty() || c.name.size() > 200) {
      refuse(res, 400, "invalid_request", "field 'name' must be 1..200 characters",
             {{"field", "name"}});
      return false;
    }
    for (const auto& n : c.numbers) {
      if (!isE164(n)) {
        refuse(res, 400, "invalid_request",
               "field 'numbers': '" + n + "' is not E.164 like +15550100", {{"field", "numbers"}});
        return false;
      }
    }
    if (hasComma(c.tags) || c.source.find(',') != std::string::npos) {
      refuse(res, 400, "invalid_request", "tags and source may not contain ','",
             {{"field", "tags"}});
      return false;
    }
    return true;
  };
  const std::vector<BodyField> contact_fields = {{"name", Type::String, false},
                                                 {"numbers", Type::StringList, false},
                                                 {"primary_agent", Type::String, false},
                                                 {"source", Type::String, false},
                                                 {"tags", Type::StringList, false}};
  srv.Get("/v1/contacts", guarded(true, [&d](const httplib::Request& req, httplib::Response& res,
                                             const Principal&) {
            auto list = req.has_param("number") ? d.contacts.byNumber(req.get_param_value("number"))
                                                : d.contacts.list(1000);
            if (!list.ok()) return redisDown(res, list.error());
            json out = json::array();
            for (const auto& c : *list) out.push_back(contactJson(c));
            reply(res, 200, {{"contacts", out}});
          }));
  srv.Post("/v1/contacts", guarded(true, [&d, contactFrom, contact_fields](
                                             const httplib::Request& req, httplib::Response& res,
                                             const Principal&) {
             auto body = parseBody(req.body, contact_fields);
             if (!body.ok()) return refuseInput(res, body.error());
             Contact c;
             if (!contactFrom(*body, c, res)) return;
             auto created = d.contacts.create(c, d.clock.nowMs());
             if (!created.ok()) return redisDown(res, created.error());
             reply(res, 201, contactJson(*created));
           }));
  srv.Get(
      R"(/v1/contacts/([^/]+))",
      guarded(true, [&d](const httplib::Request& req, httplib::Response& res, const Principal&) {
        auto c = d.contacts.get(req.matches[1]);
        if (!c.ok()) return redisDown(res, c.error());
        if (!c->has_value()) {
          return refuse(res, 404, "not_found", "no contact '" + std::string(req.matches[1]) + "'");
        }
        reply(res, 200, contactJson(**c));
      }));
  srv.Put(R"(/v1/contacts/([^/]+))",
          guarded(true, [&d, contactFrom, contact_fields](
                            const httplib::Request& req, httplib::Response& res, const Principal&) {
            auto body = parseBody(req.body, contact_fields);
            if (!body.ok()) return refuseInput(res, body.error());
            auto old = d.contacts.get(req.matches[1]);
            if (!old.ok()) return redisDown(res, old.error());
            if (!old->has_value()) {
              return refuse(res, 404, "not_found",
                            "no contact '" + std::string(req.matches[1]) + "'");
            }
            Contact c = **old;
            if (!contactFrom(*body, c, res)) return;
            auto saved = d.contacts.replace(c);
            if (!saved.ok()) return redisDown(res, saved.error());
            reply(res, 200, contactJson(*saved));
          }));
  srv.Delete(
      R"(/v1/contacts/([^/]+))",
      guarded(true, [&d](const httplib::Request& req, httplib::Response& res, const Principal&) {
        auto gone = d.contacts.remove(req.matches[1]);
        if (!gone.ok()) return redisDown(res, gone.error());
        if (!*gone) {
          return refuse(res, 404, "not_found", "no contact '" + std::string(req.matches[1]) + "'");
        }
        res.status = 204;
      }));

  // --- numbers, cap use and live calls (admin) -------------------------------------------------
  auto numberJson = [&d](const std::string& number, json& out) -> Status {
    auto s = d.numbers.effective(number);
    if (!s.ok()) return s.error();
    auto now = d.redis.command({"TIME"});
    if (!now.ok()) return now.error();
    int64_t now_ms = 0;
    if (now->elements.size() == 2) {
      now_ms = toInt(now->elements[0].text) * 1000 + toInt(now->elements[1].text) / 1000;
    }
    std::string account;
    for (const auto& [id, acc] : d.config.limiter.accounts) {
      for (const auto& n : acc.numbers) {
        if (n == number) account = id;
      }
    }
    auto used = d.redis.command(
        {"ZCOUNT", redis::numberSlotsKey(number, account), "(" + std::to_string(now_ms), "+inf"});
    if (!used.ok()) return used.error();
    const auto& lim = d.config.limiter;
    auto cap = lim.caps.find(number);
    out = {{"number", number},
           {"source", s->source},
           {"tag", s->tag},
           {"selected_agents", s->selected_agents},
           {"cap", cap == lim.caps.end() ? lim.default_cap : cap->second},
           {"in_use", used->integer}};
    return {};
  };
  srv.Get("/v1/numbers", guarded(true, [&d, numberJson](const httplib::Request&,
                                                        httplib::Response& res, const Principal&) {
            auto numbers = d.numbers.numbers();
            if (!numbers.ok()) return redisDown(res, numbers.error());
            std::set<std::string> all(numbers->begin(), numbers->end());
            for (const auto& [n, c] : d.config.limiter.caps) all.insert(n);
            json out = json::array();
            for (const auto& n : all) {
              json one;
              if (auto st = numberJson(n, one); !st.ok()) return redisDown(res, st.error());
              out.push_back(one);
            }
            reply(res, 200, {{"numbers", out}});
          }));
  srv.Get(R"(/v1/numbers/([^/]+))",
          guarded(true, [numberJson](const httplib::Request& req, httplib::Response& res,
                                     const Principal&) {
            json one;
            if (auto st = numberJson(req.matches[1], one); !st.ok()) {
              return redisDown(res, st.error());
            }
            reply(res, 200, one);
          }));
  // seed 004: "Only the Team Owner/Admin can edit Company Number settings."
  srv.Put(R"(/v1/numbers/([^/]+))",
          guarded(true, [&d, numberJson](const httplib::Request& req, httplib::Response& res,
                                         const Principal& who) {
            std::string number = req.matches[1];
            if (!isE164(number)) {
              return refuse(res, 400, "invalid_request",
                            "'" + number + "' is not E.164 like +15550100 (write + as %2B)");
            }
            auto body = parseBody(req.body, {{"source", Type::String, false},
                                             {"tag", Type::String, false},
                                             {"selected_agents", Type::StringList, false}});
            if (!body.ok()) return refuseInput(res, body.error());
            auto s = d.numbers.effective(number);
            if (!s.ok()) return redisDown(res, s.error());
            config::CompanyNumberSettings next = *s;
            if (body->contains("source")) next.source = (*body)["source"];
            if (body->contains("tag")) next.tag = (*body)["tag"];
            if (body->contains("selected_agents")) {
              next.selected_agents = strings((*body)["selected_agents"]);
            }
            if (next.selected_agents.size() > 5) {
              return refuse(res, 400, "invalid_request",
                            "field 'selected_agents': at most 5 agents (seed 004 blast alert)",
                            {{"field", "selected_agents"}});
            }
            if (hasComma(next.selected_agents) || next.tag.find(',') != std::string::npos ||
                next.source.find(',') != std::string::npos) {
              return refuse(res, 400, "invalid_request", "values may not contain ','");
            }
            if (auto st = d.numbers.set(number, next, who.agent_id, d.clock.nowMs()); !st.ok()) {
              return redisDown(res, st.error());
            }
            json one;
            if (auto st = numberJson(number, one); !st.ok()) return redisDown(res, st.error());
            reply(res, 200, one);
          }));
  srv.Get("/v1/calls",
          guarded(true, [&d](const httplib::Request&, httplib::Response& res, const Principal&) {
            json out = json::array();
            std::string cursor = "0";
            std::vector<std::string> call_ids;
            do {
              auto r = d.redis.command(
                  {"SCAN", cursor, "MATCH", "cm:number:{*}:oncall", "COUNT", "500"});
              if (!r.ok()) return redisDown(res, r.error());
              if (r->elements.size() != 2) break;
              cursor = r->elements[0].text;
              for (const auto& k : r->elements[1].elements) {
                auto members = d.redis.command({"SMEMBERS", k.text});
                if (!members.ok()) return redisDown(res, members.error());
                for (const auto& m : members->elements) call_ids.push_back(m.text);
              }
            } while (cursor != "0" && call_ids.size() < 10000);
            std::vector<std::vector<std::string>> cmds;
            for (const auto& id : call_ids) {
              cmds.push_back({"HMGET", "cm:call:{" + id + "}:presence", "number", "state",
                              "answered_by", "offered_at_ms"});
            }
            if (!cmds.empty()) {
              auto replies = d.redis.pipeline(cmds);
              if (!replies.ok()) return redisDown(res, replies.error());
              for (size_t i = 0; i < call_ids.size(); ++i) {
                const auto& e = (*replies)[i].elements;
                if (e.size() != 4) continue;
                out.push_back({{"call_id", call_ids[i]},
                               {"number", e[0].text},
                               {"state", e[1].text},
                               {"answered_by", e[2].text},
                               {"offered_at_ms", toInt(e[3].text)}});
              }
            }
            reply(res, 200, {{"calls", out}});
          }));

  // --- live push -------------------------------------------------------------------------------
  srv.Get("/v1/stream", guarded(false, [&d](const httplib::Request&, httplib::Response& res,
                                            const Principal& who) {
            res.set_header("Cache-Control", "no-cache");
            res.set_header("X-Accel-Buffering", "no");
            auto last = std::make_shared<uint64_t>(d.hub.lastSeq());
            auto opened = std::make_shared<bool>(false);
            d.metrics.streams.Increment();
            res.set_chunked_content_provider(
                "text/event-stream",
                [&d, who, last, opened](size_t, httplib::DataSink& sink) {
                  if (!*opened) {
                    *opened = true;
                    std::string hello = "retry: 2000\n: stream for " + who.agent_id + "\n\n";
                    return sink.write(hello.data(), hello.size());
                  }
                  if (d.hub.closed()) return false;
                  auto events = d.hub.waitAfter(*last, 5000);
                  std::string out;
                  for (const auto& e : events) {
                    *last = e.seq;
                    bool mine = e.everyone || std::find(e.audience.begin(), e.audience.end(),
                                                        who.agent_id) != e.audience.end();
                    if (!mine) continue;
                    out += "id: " + std::to_string(e.seq) + "\nevent: " + e.name +
                           "\ndata: " + e.data + "\n\n";
                  }
                  if (out.empty()) out = ": keep-alive\n\n";
                  return sink.is_writable() && sink.write(out.data(), out.size());
                },
                [&d](bool) { d.metrics.streams.Decrement(); });
          }));

  // --- the agent console (notification.console_dir) ---------------------------------------------
  // Static files of the built web app, no token needed (the page asks for one). Only names that
  // consoleFile() allows; everything else is the API's usual JSON 404.
  if (!d.config.notification.console_dir.empty()) {
    auto serveConsole = [&d](const httplib::Request& req, httplib::Response& res) {
      auto file = consoleFile(d.config.notification.console_dir, req.path);
      std::string body;
      if (file) {
        std::ifstream in(file->path, std::ios::binary);
        if (in) {
          body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        } else {
          file.reset();  // removed or unreadable since consoleFile() looked
        }
      }
      if (!file) {
        refuse(res, 404, "not_found", "no route " + req.method + " " + req.path);
      } else {
        res.status = 200;
        res.set_header("Cache-Control",
                       file->immutable ? "public, max-age=31536000, immutable" : "no-cache");
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Referrer-Policy", "no-referrer");
        // Everything comes from this origin; nothing from a CDN, no inline script.
        res.set_header("Content-Security-Policy",
                       "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
        res.set_content(std::move(body), file->content_type);
      }
      d.metrics.requests(res.status).Increment();
    };
    srv.Get("/", serveConsole);
    srv.Get(R"(/([^/]+))", serveConsole);
    srv.Get(R"(/assets/([^/]+))", serveConsole);
  }

  srv.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      refuse(res, 404, "not_found", "no route " + req.method + " " + req.path);
    }
  });
}

}  // namespace callmesh::notification
