// Agents through the API (agent_api.h).
#include <algorithm>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/notification/agent_api.h"
#include "services/notification/agent_book.h"
#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "services/notification/api_tokens.h"
#include "shared/codec/availability_names.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;
using Type = BodyField::Type;

// Sets `agent`'s availability from the request body and answers the view agent-presence returns.
ApiReply setPresence(ApiDeps& d, const std::string& agent, const ApiRequest& req) {
  auto body = parseBody(req.body, {{"availability", Type::String, true}});
  if (!body.ok()) return refuseInput(body.error());
  std::string a = (*body)["availability"];
  if (!codec::isAvailabilityName(a)) {
    return refuse(400, "invalid_request",
                  "field 'availability' must be available, away, offline or dnd",
                  {{"field", "availability"}});
  }
  auto view = d.presence.setAvailability(agent, a);
  if (!view.ok()) return unavailable(d.log, "agent-presence", view.error());
  return reply(200, presenceJson(*view));
}

}  // namespace

std::vector<std::string> knownAgents(const ApiDeps& d) {
  const auto& config = d.config;
  auto holders = d.tokens.agents();
  std::set<std::string> ids(holders.begin(), holders.end());
  const auto& n = config.notification;
  for (const auto& [num, s] : n.numbers) {
    ids.insert(s.selected_agents.begin(), s.selected_agents.end());
  }
  for (const auto& id : d.agents.ids()) ids.insert(id);
  return std::vector<std::string>(ids.begin(), ids.end());
}

bool isKnownAgent(const ApiDeps& d, const std::string& agent_id) {
  auto all = knownAgents(d);
  return std::binary_search(all.begin(), all.end(), agent_id);
}

ApiReply getMe(ApiDeps&, const ApiRequest&, const Principal& who) {
  return reply(200, {{"agent_id", who.agent_id}, {"role", who.admin ? "admin" : "agent"}});
}

ApiReply putOwnPresence(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  return setPresence(d, who.agent_id, req);
}

ApiReply putAgentPresence(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  const std::string& agent = req.param(0);
  if (agent != who.agent_id && !who.admin) {
    return refuse(403, "forbidden",
                  "agent '" + who.agent_id + "' may not set the presence of '" + agent + "'");
  }
  return setPresence(d, agent, req);
}

ApiReply listAgents(ApiDeps& d, const ApiRequest&, const Principal&) {
  auto views = d.presence.query(knownAgents(d));
  if (!views.ok()) return unavailable(d.log, "agent-presence", views.error());
  json out = json::array();
  for (const auto& v : *views) {
    json a = presenceJson(v);
    if (auto numbers = d.agents.numbersOf(v.agent_id)) {
      a["personal_number"] = numbers->personal_number;
      a["company_number"] = numbers->company_number;
      a["sender_id"] = numbers->sender_id;
    }
    out.push_back(a);
  }
  return reply(200, {{"agents", out}});
}

ApiReply getAgent(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  const std::string& agent = req.param(0);
  if (agent != who.agent_id && !who.admin) {
    return refuse(403, "forbidden",
                  "agent '" + who.agent_id + "' may not read agent '" + agent + "'");
  }
  auto views = d.presence.query({agent});
  if (!views.ok()) return unavailable(d.log, "agent-presence", views.error());
  if (views->empty()) {
    return unavailable(d.log, "agent-presence", Error{ErrorKind::Internal, "empty answer", agent});
  }
  return reply(200, presenceJson(views->front()));
}

void addAgentRoutes(ApiRoutes& routes) {
  routes.get("/v1/me", Access::AnyToken, getMe);
  routes.put("/v1/presence", Access::AnyToken, putOwnPresence);
  routes.put(R"(/v1/agents/([^/]+)/presence)", Access::AnyToken, putAgentPresence);
  routes.get("/v1/agents", Access::AdminOnly, listAgents);
  routes.get(R"(/v1/agents/([^/]+))", Access::AnyToken, getAgent);
}

}  // namespace callmesh::notification
