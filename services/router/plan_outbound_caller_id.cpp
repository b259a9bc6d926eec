// Seed 002 (002_39a4312a6c94260d.txt, outbound caller ID): an agent calling a number that is not
// ours goes out through the PSTN gateway, presenting the caller ID its project's number selection
// logic picks (outbound_caller_id.h); the choice is recorded in the outbound history.
#include "services/router/route_planner.h"

#include "services/router/outbound_caller_id.h"
#include "services/router/route_walk.h"

namespace callmesh::router {

const Agent* RoutePlanner::callingAgent(Walk& walk) const {
  // A device registered as the agent (From: sip:alice@...) or calling from the agent's number.
  if (auto it = config_.agents.find(walk.callerText()); it != config_.agents.end()) {
    return &it->second;
  }
  if (config_.agents_by_number.empty()) return nullptr;
  auto by_number = config_.agents_by_number.find(walk.caller());
  if (by_number == config_.agents_by_number.end()) return nullptr;
  return &config_.agents.at(by_number->second);
}

bool RoutePlanner::planOutbound(Walk& walk) const {
  const Agent* agent = authenticatedCaller(walk);
  if (!agent) return false;
  RouteOutcome& out = walk.out;
  out.trace.push_back(walk.dialed + " is not one of our numbers and the caller is agent " +
                      agent->id + ": outbound call");
  // Authenticated, allowed project, destination policy, pace (plan_outbound_policy.cpp).
  const OutboundProject* allowed = allowedProject(*agent, walk);
  if (!allowed) return true;
  const OutboundProject& project = *allowed;
  out.trace.push_back("project " + project.id +
                      (walk.project().empty() ? " (the agent's)" : " (named by the call)"));
  ContactHistory history;
  if (auto read = outbound_.read(walk.dialed, project.id); read.ok()) {
    history = std::move(read.value());
  } else {
    out.trace.push_back("outbound history of " + walk.dialed +
                        " unavailable (treated as a first call): " + read.error().describe());
  }
  OutboundCall call{walk.dialed, agent->id, agent->outbound_number, walk.lastOutcome()};
  CallerIdChoice choice =
      chooseOutboundCallerId(project, call, history, config_.outbound_numbers, random_);
  out.trace.insert(out.trace.end(), choice.trace.begin(), choice.trace.end());
  // Remembered as decided: the router does not see the call's end. A lost write only means the
  // next call to the contact is chosen as if this one had not happened.
  OutboundAttempt attempt{choice.number, choice.used, walk.receivedAtMs()};
  if (auto st = outbound_.record(walk.dialed, project.id, attempt); !st.ok()) {
    out.trace.push_back("caller ID not remembered for " + walk.dialed + ": " +
                        st.error().describe());
  }
  PlannedTarget t;
  // A project may name its own gateway or gateway set (issue 21); else the top-level one.
  t.uri = "sip:" + walk.dialed + "@" +
          (project.pstn_gateway.empty() ? config_.pstn_gateway : project.pstn_gateway);
  t.number = walk.dialed;
  t.caller_id_number = choice.number;
  out.steps.push_back(PlannedStep{{std::move(t)}, project.ring_timeout_ms});
  out.rule = "outbound_caller_id";
  // The ingress hands both back at the call's end, so its outcome is written back (issue 20).
  out.project = project.id;
  out.outbound_callee = walk.dialed;
  out.caller_id_source = callerIdSourceName(choice.source);
  out.trace.push_back("ring " + walk.dialed + " through the PSTN gateway for " +
                      std::to_string(project.ring_timeout_ms / 1000) + " s, presenting " +
                      choice.number);
  return true;
}

}  // namespace callmesh::router
