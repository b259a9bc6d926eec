// Issue 16 (toll fraud): an agent's outbound call (seed 002_39a4312a6c94260d.txt, planned in
// plan_outbound_caller_id.cpp) is placed only for an agent whose device authenticated, for a
// project the agent may call for, to a destination the project allows, within the agent's pace.
#include "services/router/outbound_policy.h"
#include "services/router/route_planner.h"
#include "services/router/route_walk.h"

namespace callmesh::router {

namespace {

void refuse(RouteOutcome& out, int status, const std::string& phrase, const char* reason,
            const std::string& why, const char* rule) {
  setReject(out, status, phrase + " (" + why + ")", rule);
  out.outbound_refusal = reason;
  out.trace.push_back(why + ": rejected with " + std::to_string(status));
}

}  // namespace

const Agent* RoutePlanner::authenticatedCaller(Walk& walk) const {
  const std::string& authenticated = walk.authenticatedAgent();
  if (!authenticated.empty()) {
    // The digest identity, never the From: a device that proved it is alice calls as alice.
    auto it = config_.agents.find(authenticated);
    return it == config_.agents.end() ? nullptr : &it->second;
  }
  return callingAgent(walk);
}

const OutboundProject* RoutePlanner::allowedProject(const Agent& agent, Walk& walk) const {
  RouteOutcome& out = walk.out;
  if (walk.authenticatedAgent().empty() && walk.requireAgentAuth()) {
    refuse(out, 407, "Proxy Authentication Required", "auth_required",
           "the device of agent " + agent.id + " did not authenticate", "outbound_auth_required");
    return nullptr;
  }
  const std::string& named = walk.project();
  const std::string& project_id = named.empty() ? agent.outbound_project : named;
  auto it = config_.projects.find(project_id);
  if (it == config_.projects.end()) {
    std::string why = project_id.empty() ? "agent " + agent.id + " has no outbound project"
                                         : "no outbound project '" + project_id + "'";
    refuse(out, 403, "Forbidden", "no_project", why, "outbound_no_project");
    return nullptr;
  }
  if (!agent.mayCallFor(project_id)) {
    refuse(out, 403, "Forbidden", "project_not_allowed",
           "agent " + agent.id + " may not call for project " + project_id,
           "outbound_project_not_allowed");
    return nullptr;
  }
  const OutboundProject& project = it->second;
  if (auto refused = refuseDestination(project.destinations, walk.dialed)) {
    refuse(out, 403, "Forbidden", refused->reason, refused->why, "outbound_destination_refused");
    return nullptr;
  }
  int cap = project.destinations.max_attempts_per_agent_per_minute;
  if (attempts_ && !attempts_->admit(agent.id, cap, walk.receivedAtMs())) {
    refuse(out, 403, "Forbidden", "rate_limited",
           "agent " + agent.id + " reached project " + project.id + "'s cap of " +
               std::to_string(cap) + " outbound attempts a minute",
           "outbound_rate_limited");
    return nullptr;
  }
  return &project;
}

}  // namespace callmesh::router
