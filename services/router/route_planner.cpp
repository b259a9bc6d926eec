// The planner's entry point: normalise the dialled number, stop loops, and hand the call to the
// rules of the number it matched. Each seed's rules are in their own file (route_planner.h).
#include "services/router/route_planner.h"

#include "services/router/phone_number.h"
#include "services/router/route_walk.h"

namespace callmesh::router {

bool RoutePlanner::isInboundNumber(const std::string& text) const {
  return config_.tracking_numbers.count(text) || config_.company_numbers.count(text) ||
         config_.crm_numbers.count(text);
}

RouteOutcome RoutePlanner::decide(const CallQuery& call) const {
  RouteOutcome out;
  // Gateways send E.164. Text that is already one of our numbers is its own normal form
  // (toE164 returns its own output unchanged), so libphonenumber is skipped for it.
  Result<std::string> dialed =
      isInboundNumber(call.dialed) ? Result<std::string>(call.dialed) : toE164(call.dialed);
  if (!dialed.ok()) {
    setReject(out, 404, "Not Found (dialed number does not parse)", "unparseable");
    out.trace.push_back("dialed '" + call.dialed + "': " + dialed.error().message);
    return out;
  }
  out.number = dialed.value();
  Walk walk(call, out, dialed.value());

  if (rejectLoop(walk)) return out;  // seed 003, plan_loops.cpp

  if (auto it = config_.tracking_numbers.find(walk.dialed); it != config_.tracking_numbers.end()) {
    planTrackingNumber(it->second, walk);
  } else if (auto co = config_.company_numbers.find(walk.dialed);
             co != config_.company_numbers.end()) {
    planCompanyNumber(co->second, walk);
  } else if (auto crm = config_.crm_numbers.find(walk.dialed); crm != config_.crm_numbers.end()) {
    planCrmNumber(crm->second, walk);
  } else if (planOutbound(walk)) {
    // One step to the callee; every failure is relayed to the agent as the callee gave it.
    return out;
  } else {
    setReject(out, 404, "Not Found (no tracking number " + walk.dialed + ")", "unknown_number");
    out.trace.push_back("no tracking, company or CRM number " + walk.dialed + " in " +
                        config_.source_file);
    return out;
  }
  if (out.reject) return out;
  if (out.steps.empty()) {
    if (walk.nobody_ringable) {
      setReject(out, 480, "Temporarily Unavailable (nobody available to ring)", out.rule);
    } else {
      setReject(out, 486, "Busy Here", out.rule);
    }
    out.trace.push_back("nothing to ring: rejected with " + std::to_string(out.status));
    return out;
  }
  // seed 000: when every step fails the default no-answer routing is "hangup / busy signal".
  if (out.final_status == 0) {
    out.final_status = 486;
    out.final_reason = "Busy Here";
  }
  for (const auto& step : out.steps) {
    for (const auto& t : step.targets) {
      if (out.source_tag.empty() && !t.source_tag.empty()) out.source_tag = t.source_tag;
    }
  }
  return out;
}

std::vector<Contact> RoutePlanner::knownContacts(Walk& walk) const {
  const std::string& caller = walk.caller();
  if (caller.empty()) {
    walk.out.trace.push_back("caller '" + walk.callerText() + "' has no usable number: unknown");
    return {};
  }
  auto found = contacts_.contactsWithNumber(caller);
  if (!found.ok()) {
    walk.out.trace.push_back("contact lookup for " + caller +
                             " failed (routing as unknown): " + found.error().describe());
    return {};
  }
  walk.out.trace.push_back(std::to_string(found->size()) + " contact(s) with number " + caller);
  return std::move(found.value());
}

}  // namespace callmesh::router
