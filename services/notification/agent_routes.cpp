// Agents through the API: who the token is (/v1/me), availability changes (through agent-presence,
// the only writer of agents' presence), and the admin's view of every known agent.
#include <httplib.h>

#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/api_routes.h"
#include "shared/codec/availability_names.h"

namespace callmesh::notification {

namespace {

using nlohmann::json;
using Type = BodyField::Type;

// Sets `agent`'s availability from the request body and answers the view agent-presence returns.
void setPresence(ApiDeps& d, const std::string& agent, const httplib::Request& req,
                 httplib::Response& res) {
  auto body = parseBody(req.body, {{"availability", Type::String, true}});
  if (!body.ok()) return refuseInput(res, body.error());
  std::string a = (*body)["availability"];
  if (!codec::isAvailabilityName(a)) {
    return refuse(res, 400, "invalid_request",
                  "field 'availability' must be available, away, offline or dnd",
                  {{"field", "availability"}});
  }
  auto view = d.presence.setAvailability(agent, a);
  if (!view.ok()) {
    return refuse(res, 503, "unavailable", "agent-presence: " + view.error().describe());
  }
  reply(res, 200, presenceJson(*view));
}

// Every agent the configuration names: token holders, numbers' selected agents, agents with
// numbers, agents with presence settings. Sorted, once each.
std::vector<std::string> knownAgents(const config::ClusterConfig& config) {
  std::set<std::string> ids;
  const auto& n = config.notification;
  for (const auto& [t, tok] : n.tokens) {
    if (tok.role == config::ApiRole::Agent) ids.insert(tok.agent_id);
  }
  for (const auto& [num, s] : n.numbers) {
    ids.insert(s.selected_agents.begin(), s.selected_agents.end());
  }
  for (const auto& [id, a] : n.agents) ids.insert(id);
  for (const auto& [id, a] : config.presence.agents) ids.insert(id);
  return std::vector<std::string>(ids.begin(), ids.end());
}

}  // namespace

void addAgentRoutes(ApiRoutes& routes) {
  ApiDeps& d = routes.deps();

  routes.get(
      "/v1/me", Access::AnyToken,
      [](const httplib::Request&, httplib::Response& res, const Principal& who) {
        reply(res, 200, {{"agent_id", who.agent_id}, {"role", who.admin ? "admin" : "agent"}});
      });

  routes.put("/v1/presence", Access::AnyToken,
             [&d](const httplib::Request& req, httplib::Response& res, const Principal& who) {
               setPresence(d, who.agent_id, req, res);
             });
  routes.put(R"(/v1/agents/([^/]+)/presence)", Access::AnyToken,
             [&d](const httplib::Request& req, httplib::Response& res, const Principal& who) {
               std::string agent = req.matches[1];
               if (agent != who.agent_id && !who.admin) {
                 return refuse(
                     res, 403, "forbidden",
                     "agent '" + who.agent_id + "' may not set the presence of '" + agent + "'");
               }
               setPresence(d, agent, req, res);
             });

  routes.get("/v1/agents", Access::AdminOnly,
             [&d](const httplib::Request&, httplib::Response& res, const Principal&) {
               auto views = d.presence.query(knownAgents(d.config));
               if (!views.ok()) {
                 return refuse(res, 503, "unavailable",
                               "agent-presence: " + views.error().describe());
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
             });
  routes.get(R"(/v1/agents/([^/]+))", Access::AnyToken,
             [&d](const httplib::Request& req, httplib::Response& res, const Principal& who) {
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
             });
}

}  // namespace callmesh::notification
