// Contacts through the API (contact_api.h).
#include <vector>

#include <nlohmann/json.hpp>

#include "services/notification/agent_api.h"
#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/contact_api.h"

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

// Applies a parsed contact body to `c` and checks the result; the refusal, or nullopt.
std::optional<ApiReply> applyContactBody(const ApiDeps& d, const Principal& who, const json& b,
                                         Contact& c) {
  if (b.contains("name")) c.name = b["name"];
  if (b.contains("numbers")) c.numbers = stringsOf(b["numbers"]);
  if (b.contains("primary_agent")) {
    c.primary_agent = b["primary_agent"];
    if (!c.primary_agent.empty()) {
      if (auto refusal = primaryAgentRefusal(d, who, c.primary_agent)) return refusal;
    }
  }
  if (b.contains("source")) c.source = b["source"];
  if (b.contains("tags")) c.tags = stringsOf(b["tags"]);
  if (c.name.empty() || c.name.size() > 200) {
    return refuse(400, "invalid_request", "field 'name' must be 1..200 characters",
                  {{"field", "name"}});
  }
  for (const auto& n : c.numbers) {
    if (!isE164(n)) {
      return refuse(400, "invalid_request",
                    "field 'numbers': '" + n + "' is not E.164 like +15550100",
                    {{"field", "numbers"}});
    }
  }
  if (hasComma(c.tags) || c.source.find(',') != std::string::npos) {
    return refuse(400, "invalid_request", "tags and source may not contain ','",
                  {{"field", "tags"}});
  }
  return std::nullopt;
}

}  // namespace

bool contactVisibleTo(const Contact& contact, const Principal& who) {
  return who.admin || (!who.agent_id.empty() && contact.primary_agent == who.agent_id);
}

ApiReply contactNotFound(const std::string& id) {
  return refuse(404, "not_found", "no contact '" + id + "'", {{"field", "contact_id"}});
}

std::optional<ApiReply> primaryAgentRefusal(const ApiDeps& d, const Principal& who,
                                            const std::string& primary_agent) {
  if (!who.admin) {
    if (primary_agent == who.agent_id) return std::nullopt;
    return refuse(403, "forbidden",
                  "agent '" + who.agent_id + "' may name only itself as primary_agent",
                  {{"field", "primary_agent"}});
  }
  if (isKnownAgent(d, primary_agent)) return std::nullopt;
  return refuse(400, "invalid_request", "field 'primary_agent': no agent '" + primary_agent + "'",
                {{"field", "primary_agent"}});
}

ApiReply listContacts(ApiDeps& d, const ApiRequest& req, const Principal&) {
  auto list = req.hasQuery("number") ? d.contacts.byNumber(req.queryValue("number"))
                                     : d.contacts.list(1000);
  if (!list.ok()) return redisDown(d.log, list.error());
  json out = json::array();
  for (const auto& c : *list) out.push_back(contactJson(c));
  return reply(200, {{"contacts", out}});
}

ApiReply createContact(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto body = parseBody(req.body, contactFields());
  if (!body.ok()) return refuseInput(body.error());
  Contact c;
  if (auto refusal = applyContactBody(d, who, *body, c)) return *refusal;
  auto created = d.contacts.create(c, d.clock.nowMs());
  if (!created.ok()) return redisDown(d.log, created.error());
  return reply(201, contactJson(*created));
}

ApiReply getContact(ApiDeps& d, const ApiRequest& req, const Principal&) {
  auto c = d.contacts.get(req.param(0));
  if (!c.ok()) return redisDown(d.log, c.error());
  if (!c->has_value()) return contactNotFound(req.param(0));
  return reply(200, contactJson(**c));
}

ApiReply replaceContact(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  auto body = parseBody(req.body, contactFields());
  if (!body.ok()) return refuseInput(body.error());
  auto old = d.contacts.get(req.param(0));
  if (!old.ok()) return redisDown(d.log, old.error());
  if (!old->has_value()) return contactNotFound(req.param(0));
  Contact c = **old;
  if (auto refusal = applyContactBody(d, who, *body, c)) return *refusal;
  auto saved = d.contacts.replace(c);
  if (!saved.ok()) return redisDown(d.log, saved.error());
  return reply(200, contactJson(*saved));
}

ApiReply deleteContact(ApiDeps& d, const ApiRequest& req, const Principal&) {
  auto gone = d.contacts.remove(req.param(0));
  if (!gone.ok()) return redisDown(d.log, gone.error());
  if (!*gone) return contactNotFound(req.param(0));
  ApiReply r;
  r.status = 204;
  return r;
}

void addContactRoutes(ApiRoutes& routes) {
  routes.get("/v1/contacts", Access::AdminOnly, listContacts);
  routes.post("/v1/contacts", Access::AdminOnly, createContact);
  routes.get(R"(/v1/contacts/([^/]+))", Access::AdminOnly, getContact);
  routes.put(R"(/v1/contacts/([^/]+))", Access::AdminOnly, replaceContact);
  routes.del(R"(/v1/contacts/([^/]+))", Access::AdminOnly, deleteContact);
}

}  // namespace callmesh::notification
