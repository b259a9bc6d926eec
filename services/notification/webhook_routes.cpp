// Webhooks through the API (webhook_api.h).
#include <nlohmann/json.hpp>

#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/webhook_api.h"
#include "services/notification/webhook_book.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;
using Type = BodyField::Type;

json subscriptionJson(const WebhookSubscription& s) {
  return {{"id", s.id},
          {"url", s.url},
          {"events", s.events},
          {"created_by", s.created_by},
          {"created_at_ms", s.created_at_ms}};
}

// A bounded non-negative integer query, or -1 when malformed.
int64_t boundedQuery(const ApiRequest& req, const char* name, int64_t fallback, int64_t max) {
  if (!req.hasQuery(name)) return fallback;
  const std::string v = req.queryValue(name);
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
    return -1;
  }
  int64_t n = std::stoll(v);
  return n > max ? -1 : n;
}

}  // namespace

ApiReply createWebhook(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto body =
      parseBody(req.body, {{"url", Type::String, true}, {"events", Type::StringList, true}});
  if (!body.ok()) return refuseInput(body.error());
  auto s = d.webhooks.subscribe((*body)["url"], stringsOf((*body)["events"]), who.agent_id,
                                d.clock.nowMs());
  if (!s.ok()) {
    if (s.error().kind == ErrorKind::InvalidInput) return refuseInput(s.error());
    return redisDown(d.log, s.error());
  }
  json out = subscriptionJson(*s);
  out["secret"] = s->secret;  // the only time it is shown
  d.log.info("webhook_subscribed", {{"id", s->id}, {"url", s->url}, {"by", who.agent_id}});
  return reply(201, out);
}

ApiReply listWebhooks(ApiDeps& d, const ApiRequest&, const Principal&) {
  auto subs = d.webhooks.subscriptions();
  if (!subs.ok()) return redisDown(d.log, subs.error());
  json out = json::array();
  for (const auto& s : *subs) out.push_back(subscriptionJson(s));
  return reply(200, {{"webhooks", out}});
}

ApiReply deleteWebhook(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto removed = d.webhooks.unsubscribe(req.param(0));
  if (!removed.ok()) return redisDown(d.log, removed.error());
  if (!*removed) return refuse(404, "not_found", "no webhook '" + req.param(0) + "'");
  d.log.info("webhook_unsubscribed", {{"id", req.param(0)}, {"by", who.agent_id}});
  ApiReply out;
  out.status = 204;
  return out;
}

ApiReply listDeadLetters(ApiDeps& d, const ApiRequest& req, const Principal&) {
  int64_t offset = boundedQuery(req, "offset", 0, 1000000);
  if (offset < 0) {
    return refuse(400, "invalid_request", "query 'offset' must be 0..1000000",
                  {{"field", "offset"}});
  }
  int64_t limit = boundedQuery(req, "limit", 50, 500);
  if (limit < 1) {
    return refuse(400, "invalid_request", "query 'limit' must be 1..500", {{"field", "limit"}});
  }
  auto dead = d.webhooks.deadLetters(static_cast<size_t>(offset), static_cast<size_t>(limit));
  if (!dead.ok()) return redisDown(d.log, dead.error());
  json out = json::array();
  for (const auto& l : *dead) {
    json event = json::parse(l.body, nullptr, false);
    out.push_back({{"id", l.id},
                   {"webhook_id", l.subscription},
                   {"event_id", l.event_id},
                   {"type", l.type},
                   {"attempts", l.attempts},
                   {"first_at_ms", l.first_at_ms},
                   {"dead_at_ms", l.dead_at_ms},
                   {"last_error", l.last_error},
                   {"event", event.is_discarded() ? json() : event}});
  }
  auto total = d.webhooks.deadCount();
  if (!total.ok()) return redisDown(d.log, total.error());
  return reply(200, {{"dead_letters", out}, {"total", *total}});
}

void addWebhookRoutes(ApiRoutes& routes) {
  routes.post("/v1/webhooks", Access::AdminOnly, createWebhook);
  routes.get("/v1/webhooks", Access::AdminOnly, listWebhooks);
  routes.get("/v1/webhooks/dead-letters", Access::AdminOnly, listDeadLetters);
  routes.del(R"(/v1/webhooks/([^/]+))", Access::AdminOnly, deleteWebhook);
}

}  // namespace callmesh::notification
