// Contacts through the API (admin only): list (all, or by number), create, read, replace, delete.
// Contacts made from a notification are in notification_routes.cpp (they claim it).
#include <httplib.h>

#include <vector>

#include <nlohmann/json.hpp>

#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;
using Type = BodyField::Type;

const std::vector<BodyField>& contactFields() {
  static const std::vector<BodyField> fields = {{"name", Type::String, false},
                                                {"numbers", Type::StringList, false},
                                                {"primary_agent", Type::String, false},
                                                {"source", Type::String, false},
                                                {"tags", Type::StringList, false}};
  return fields;
}

// Applies a parsed contact body to `c` and checks the result. False after answering the refusal.
bool applyContactBody(const json& b, Contact& c, httplib::Response& res) {
  if (b.contains("name")) c.name = b["name"];
  if (b.contains("numbers")) c.numbers = stringsOf(b["numbers"]);
  if (b.contains("primary_agent")) c.primary_agent = b["primary_agent"];
  if (b.contains("source")) c.source = b["source"];
  if (b.contains("tags")) c.tags = stringsOf(b["tags"]);
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
    refuse(res, 400, "invalid_request", "tags and source may not contain ','", {{"field", "tags"}});
    return false;
  }
  return true;
}

void noSuchContact(httplib::Response& res, const std::string& id) {
  refuse(res, 404, "not_found", "no contact '" + id + "'");
}

}  // namespace

void addContactRoutes(ApiRoutes& routes) {
  ApiDeps& d = routes.deps();

  routes.get("/v1/contacts", Access::AdminOnly,
             [&d](const httplib::Request& req, httplib::Response& res, const Principal&) {
               auto list = req.has_param("number")
                               ? d.contacts.byNumber(req.get_param_value("number"))
                               : d.contacts.list(1000);
               if (!list.ok()) return redisDown(res, list.error());
               json out = json::array();
               for (const auto& c : *list) out.push_back(contactJson(c));
               reply(res, 200, {{"contacts", out}});
             });
  routes.post("/v1/contacts", Access::AdminOnly,
              [&d](const httplib::Request& req, httplib::Response& res, const Principal&) {
                auto body = parseBody(req.body, contactFields());
                if (!body.ok()) return refuseInput(res, body.error());
                Contact c;
                if (!applyContactBody(*body, c, res)) return;
                auto created = d.contacts.create(c, d.clock.nowMs());
                if (!created.ok()) return redisDown(res, created.error());
                reply(res, 201, contactJson(*created));
              });
  routes.get(R"(/v1/contacts/([^/]+))", Access::AdminOnly,
             [&d](const httplib::Request& req, httplib::Response& res, const Principal&) {
               auto c = d.contacts.get(req.matches[1]);
               if (!c.ok()) return redisDown(res, c.error());
               if (!c->has_value()) return noSuchContact(res, req.matches[1]);
               reply(res, 200, contactJson(**c));
             });
  routes.put(R"(/v1/contacts/([^/]+))", Access::AdminOnly,
             [&d](const httplib::Request& req, httplib::Response& res, const Principal&) {
               auto body = parseBody(req.body, contactFields());
               if (!body.ok()) return refuseInput(res, body.error());
               auto old = d.contacts.get(req.matches[1]);
               if (!old.ok()) return redisDown(res, old.error());
               if (!old->has_value()) return noSuchContact(res, req.matches[1]);
               Contact c = **old;
               if (!applyContactBody(*body, c, res)) return;
               auto saved = d.contacts.replace(c);
               if (!saved.ok()) return redisDown(res, saved.error());
               reply(res, 200, contactJson(*saved));
             });
  routes.del(R"(/v1/contacts/([^/]+))", Access::AdminOnly,
             [&d](const httplib::Request& req, httplib::Response& res, const Principal&) {
               auto gone = d.contacts.remove(req.matches[1]);
               if (!gone.ok()) return redisDown(res, gone.error());
               if (!*gone) return noSuchContact(res, req.matches[1]);
               res.status = 204;
             });
}

}  // namespace callmesh::notification
