#pragma once

// Agents through the API (agent_routes.cpp): who the token is, availability changes (through
// agent-presence, the only writer of agents' presence), the admin's view of every agent.
// Handlers are plain functions (api_guard.h); agents read and change only their own presence.
#include <string>
#include <vector>

#include "services/notification/api_deps.h"
#include "services/notification/api_request.h"

namespace callmesh::notification {

ApiReply getMe(ApiDeps& d, const ApiRequest& req, const Principal& who);  // GET /v1/me
ApiReply putOwnPresence(ApiDeps& d, const ApiRequest& req,
                        const Principal& who);  // PUT /v1/presence
ApiReply putAgentPresence(ApiDeps& d, const ApiRequest& req,
                          const Principal& who);  // PUT /v1/agents/{id}/presence
ApiReply listAgents(ApiDeps& d, const ApiRequest& req,
                    const Principal& who);  // GET /v1/agents (admin)
ApiReply getAgent(ApiDeps& d, const ApiRequest& req, const Principal& who);  // GET /v1/agents/{id}

// Every agent the configuration names: agent-role token holders (config and tokens file),
// numbers' selected agents, agents with numbers, agents with presence settings. Sorted, once each.
std::vector<std::string> knownAgents(const ApiDeps& d);
bool isKnownAgent(const ApiDeps& d, const std::string& agent_id);

}  // namespace callmesh::notification
