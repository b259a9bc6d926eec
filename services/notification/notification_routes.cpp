// Notifications and records (seed 004 "Call Notification"): an agent's own lists, one record,
// the admin's unclaimed list, and the claims that are not texts (call back, create or associate
// a contact). Texting back is in text_routes.cpp.
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "services/notification/api_claim.h"
#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;
using Type = BodyField::Type;

// GET /v1/notifications (records = false) and GET /v1/records (records = true): what the caller
// may see now, of one kind, newest first.
ApiHandler listMine(ApiDeps& d, bool records) {
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
}

}  // namespace

void addNotificationRoutes(ApiRoutes& routes) {
  ApiDeps& d = routes.deps();
  routes.get("/v1/notifications", Access::AnyToken, listMine(d, false));
  routes.get("/v1/records", Access::AnyToken, listMine(d, true));
  // Before the single-record pattern below, which "unclaimed" would also match.
  routes.get("/v1/notifications/unclaimed", Access::AdminOnly,
             [&d](const httplib::Request&, httplib::Response& res, const Principal&) {
               auto list = d.store.listUnclaimed(500);
               if (!list.ok()) return redisDown(res, list.error());
               json out = json::array();
               for (const auto& r : *list) out.push_back(recordJson(r));
               reply(res, 200, {{"notifications", out}});
             });
  routes.get(R"(/v1/notifications/([^/]+))", Access::AnyToken,
             [&d](const httplib::Request& req, httplib::Response& res, const Principal& who) {
               std::string id = req.matches[1];
               auto r = d.store.get(id);
               if (!r.ok()) return redisDown(res, r.error());
               // Another agent's record looks exactly like a missing one.
               if (!r->has_value() || !visibleTo(**r, who.agent_id)) {
                 return refuse(
                     res, 404, "not_found",
                     "no notification '" + id + "' visible to agent '" + who.agent_id + "'");
               }
               reply(res, 200, recordJson(**r));
             });

  routes.post(R"(/v1/notifications/([^/]+)/claim)", Access::AnyToken,
              [&d](const httplib::Request& req, httplib::Response& res, const Principal& who) {
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
                auto r = claimOrRefuse(d, req.matches[1], who, *action, res);
                if (!r) return;
                reply(res, 200, {{"notification", recordJson(*r)}});
              });

  routes.post(R"(/v1/notifications/([^/]+)/contact)", Access::AnyToken,
              [&d](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                auto body = parseBody(req.body, {{"name", Type::String, true},
                                                 {"primary_agent", Type::String, false}});
                if (!body.ok()) return refuseInput(res, body.error());
                std::string name = (*body)["name"];
                if (name.empty() || name.size() > 200) {
                  return refuse(res, 400, "invalid_request",
                                "field 'name' must be 1..200 characters", {{"field", "name"}});
                }
                auto r = claimOrRefuse(d, req.matches[1], who, ClaimAction::CreateContact, res);
                if (!r) return;
                // seed 004: Source = the company number's Source; its Tag added.
                auto c = d.contacts.create(
                    contactFromNotification(name, r->caller, r->source, r->tag,
                                            body->value("primary_agent", who.agent_id)),
                    d.clock.nowMs());
                if (!c.ok()) return redisDown(res, c.error());
                reply(res, 201, {{"contact", contactJson(*c)}, {"notification", recordJson(*r)}});
              });

  routes.post(R"(/v1/notifications/([^/]+)/associate)", Access::AnyToken,
              [&d](const httplib::Request& req, httplib::Response& res, const Principal& who) {
                auto body = parseBody(req.body, {{"contact_id", Type::String, true}});
                if (!body.ok()) return refuseInput(res, body.error());
                std::string contact_id = (*body)["contact_id"];
                auto existing = d.contacts.get(contact_id);
                if (!existing.ok()) return redisDown(res, existing.error());
                if (!existing->has_value()) {
                  return refuse(res, 404, "not_found", "no contact '" + contact_id + "'",
                                {{"field", "contact_id"}});
                }
                auto r = claimOrRefuse(d, req.matches[1], who, ClaimAction::AssociateContact, res);
                if (!r) return;
                auto c = d.contacts.associate(contact_id, r->caller, r->source, r->tag);
                if (!c.ok()) return redisDown(res, c.error());
                if (!c->has_value()) {
                  return refuse(res, 404, "not_found", "contact '" + contact_id + "' was deleted");
                }
                reply(res, 200, {{"contact", contactJson(**c)}, {"notification", recordJson(*r)}});
              });
}

}  // namespace callmesh::notification
