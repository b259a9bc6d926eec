// Notifications and records through the API (notification_api.h).
#include <nlohmann/json.hpp>

#include "services/notification/agent_api.h"
#include "services/notification/api_claim.h"
#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/contact_api.h"
#include "services/notification/notification_api.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;
using Type = BodyField::Type;

constexpr size_t kDefaultPage = 50;
constexpr size_t kMaxPage = 200;

// ?limit= as 1..kMaxPage (default kDefaultPage); nullopt after a bad value.
std::optional<size_t> pageLimit(const ApiRequest& req) {
  if (!req.hasQuery("limit")) return kDefaultPage;
  const std::string v = req.queryValue("limit");
  if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  size_t n = std::stoul(v);
  if (n < 1 || n > kMaxPage) return std::nullopt;
  return n;
}

ApiReply badLimit() {
  return refuse(400, "invalid_request", "query 'limit' must be 1.." + std::to_string(kMaxPage),
                {{"field", "limit"}});
}

// One page as JSON: the records under `name`, whether the caller may act on each, the cursor.
ApiReply pageReply(ApiDeps& d, Result<RecordPage> page, const char* name, const Principal& who) {
  if (!page.ok()) {
    if (page.error().kind == ErrorKind::InvalidInput) return refuseInput(page.error());
    return redisDown(d.log, page.error());
  }
  json out = json::array();
  for (const auto& r : page->records) {
    json j = recordJson(r);
    j["can_claim"] = mayClaim(r, who.agent_id);
    out.push_back(std::move(j));
  }
  json next = page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor);
  return reply(200, {{name, out}, {"next_cursor", next}});
}

// The record `id` if `who` may see it; otherwise the reply to send (404 or 503).
std::optional<NotificationRecord> visibleRecord(ApiDeps& d, const std::string& id,
                                                const Principal& who, ApiReply& refusal) {
  auto r = d.store.get(id);
  if (!r.ok()) {
    refusal = redisDown(d.log, r.error());
    return std::nullopt;
  }
  // Another agent's record looks exactly like a missing one.
  if (!r->has_value() || !visibleTo(**r, who.agent_id)) {
    refusal = notificationNotFound(id, who);
    return std::nullopt;
  }
  return **r;
}

}  // namespace

ApiReply listNotifications(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto limit = pageLimit(req);
  if (!limit) return badLimit();
  std::string state = req.hasQuery("state") ? req.queryValue("state") : "all";
  AgentList list;
  if (state == "all") {
    list = AgentList::All;
  } else if (state == "unclaimed") {
    list = AgentList::Open;
  } else if (state == "claimed") {
    list = AgentList::Claimed;
  } else {
    return refuse(400, "invalid_request", "query 'state' must be all, unclaimed or claimed",
                  {{"field", "state"}});
  }
  return pageReply(d, d.store.listForAgent(who.agent_id, list, req.queryValue("cursor"), *limit),
                   "notifications", who);
}

ApiReply listRecords(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto limit = pageLimit(req);
  if (!limit) return badLimit();
  return pageReply(
      d, d.store.listForAgent(who.agent_id, AgentList::Answered, req.queryValue("cursor"), *limit),
      "records", who);
}

ApiReply listUnclaimedNotifications(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto limit = pageLimit(req);
  if (!limit) return badLimit();
  return pageReply(d, d.store.listUnclaimed(req.queryValue("cursor"), *limit), "notifications",
                   who);
}

ApiReply getNotification(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  ApiReply refusal;
  auto r = visibleRecord(d, req.param(0), who, refusal);
  if (!r) return refusal;
  json j = recordJson(*r);
  j["can_claim"] = mayClaim(*r, who.agent_id);
  return reply(200, j);
}

ApiReply claimNotification(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto body = parseBody(req.body, {{"action", Type::String, true}});
  if (!body.ok()) return refuseInput(body.error());
  std::string name = (*body)["action"];
  auto action = parseAction(name);
  if (!action || *action == ClaimAction::CreateContact ||
      *action == ClaimAction::AssociateContact) {
    return refuse(400, "invalid_request",
                  "field 'action' must be call_back or text_back (contacts: POST "
                  ".../contact or .../associate)",
                  {{"field", "action"}});
  }
  auto c = claimFor(d, req.param(0), who, *action);
  if (!c.won) return c.refusal;
  return reply(200, {{"notification", recordJson(c.record)}});
}

ApiReply createContactFromNotification(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto body =
      parseBody(req.body, {{"name", Type::String, true}, {"primary_agent", Type::String, false}});
  if (!body.ok()) return refuseInput(body.error());
  std::string name = (*body)["name"];
  if (name.empty() || name.size() > 200) {
    return refuse(400, "invalid_request", "field 'name' must be 1..200 characters",
                  {{"field", "name"}});
  }
  // Checked before the claim, so a refused request changes nothing.
  std::string primary = body->value("primary_agent", who.agent_id);
  if (auto refusal = primaryAgentRefusal(d, who, primary)) return *refusal;
  auto c = claimFor(d, req.param(0), who, ClaimAction::CreateContact);
  if (!c.won) return c.refusal;
  const auto& r = c.record;
  // seed 004: Source = the company number's Source; its Tag added.
  auto contact = d.contacts.create(
      contactFromNotification(name, r.caller, r.source, r.tag, primary), d.clock.nowMs());
  if (!contact.ok()) return redisDown(d.log, contact.error());
  return reply(201, {{"contact", contactJson(*contact)}, {"notification", recordJson(r)}});
}

ApiReply associateContact(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto body = parseBody(req.body, {{"contact_id", Type::String, true}});
  if (!body.ok()) return refuseInput(body.error());
  std::string contact_id = (*body)["contact_id"];
  auto existing = d.contacts.get(contact_id);
  if (!existing.ok()) return redisDown(d.log, existing.error());
  // A contact the caller may not see reads exactly like a missing one (never reveals existence).
  if (!existing->has_value() || !contactVisibleTo(**existing, who)) {
    return contactNotFound(contact_id);
  }
  auto c = claimFor(d, req.param(0), who, ClaimAction::AssociateContact);
  if (!c.won) return c.refusal;
  const auto& r = c.record;
  auto after = d.contacts.associate(contact_id, r.caller, r.source, r.tag);
  if (!after.ok()) return redisDown(d.log, after.error());
  if (!after->has_value()) return contactNotFound(contact_id);
  return reply(200, {{"contact", contactJson(**after)}, {"notification", recordJson(r)}});
}

void addNotificationRoutes(ApiRoutes& routes) {
  routes.get("/v1/notifications", Access::AnyToken, listNotifications);
  routes.get("/v1/records", Access::AnyToken, listRecords);
  // Before the single-record pattern below, which "unclaimed" would also match.
  routes.get("/v1/notifications/unclaimed", Access::AdminOnly, listUnclaimedNotifications);
  routes.get(R"(/v1/notifications/([^/]+))", Access::AnyToken, getNotification);
  routes.post(R"(/v1/notifications/([^/]+)/claim)", Access::AnyToken, claimNotification);
  routes.post(R"(/v1/notifications/([^/]+)/contact)", Access::AnyToken,
              createContactFromNotification);
  routes.post(R"(/v1/notifications/([^/]+)/associate)", Access::AnyToken, associateContact);
}

}  // namespace callmesh::notification
