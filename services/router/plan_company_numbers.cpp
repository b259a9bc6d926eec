// Seed 004 (004_ee4e98a6a7f6781b.txt, company numbers): known contacts to their primary agent;
// unknown callers by the custom rule active now, else the default (blast, user or number).
#include "services/router/route_planner.h"

#include "services/router/company_number_rules.h"
#include "services/router/ringable_agents.h"
#include "services/router/route_walk.h"

namespace callmesh::router {

void RoutePlanner::planCompanyNumber(const CompanyNumber& company, Walk& walk) const {
  RouteOutcome& out = walk.out;
  out.source_tag = company.source;
  out.trace.push_back("company number " + company.number);
  // seed 004: existing contacts go to their primary agent.
  std::vector<Contact> contacts = knownContacts(walk);
  if (auto choice = choosePrimaryAgent(contacts)) {
    out.trace.push_back(choice->why);
    if (ringAgent(choice->agent_id, company.ring_timeout_ms, walk)) {
      out.rule = "company_contact";
      out.timeline_contact_ids = std::move(choice->timeline_contact_ids);
      std::string ids;
      for (const auto& id : out.timeline_contact_ids) ids += (ids.empty() ? "" : ",") + id;
      out.trace.push_back("timeline entry on contact(s) " + ids);
      return;
    }
    out.trace.push_back("primary agent cannot be rung; routing as an unknown caller");
  }
  // seed 004: unknown callers: custom rules by active hours first, then the default.
  LocalTime local = company.zone->toLocal(walk.receivedAtMs());
  std::string at = local.describe() + " " + company.zone->name();
  for (const auto& rule : company.rules) {
    if (!rule.active_hours.contains(local)) {
      out.trace.push_back("custom rule '" + rule.name + "' not active at " + at);
      continue;
    }
    out.trace.push_back("custom rule '" + rule.name + "' active at " + at);
    if (ringUnknownCallerRoute(rule.route, company.ring_timeout_ms, walk)) {
      out.rule = "company_custom_rule";
      return;
    }
    out.trace.push_back("custom rule '" + rule.name + "' rang nobody; trying the default");
    break;  // active hours never overlap, so no other custom rule is active now
  }
  out.trace.push_back("default rule");
  out.rule = "company_default_rule";
  ringUnknownCallerRoute(company.default_route, company.ring_timeout_ms, walk);
}

bool RoutePlanner::ringUnknownCallerRoute(const UnknownCallerRoute& route, int timeout_ms,
                                          Walk& walk) const {
  RouteOutcome& out = walk.out;
  switch (route.kind) {
    case UnknownCallerRoute::Kind::Blast: {
      // seed 004: ring every selected agent who is available, together; first answer wins.
      PlannedStep step{{}, timeout_ms};
      for (const auto& id : route.agent_ids) {
        const Agent& a = config_.agents.at(id);
        if (auto why = whyNotRingable(a, presence_.status(id), walk.receivedAtMs())) {
          out.trace.push_back("blast: skip " + *why);
          continue;
        }
        step.targets.push_back(agentTarget(a, ""));  // seed 004 blasts have no whisper
      }
      out.trace.push_back("blast to " + std::to_string(step.targets.size()) + " of " +
                          std::to_string(route.agent_ids.size()) + " agents");
      if (step.targets.empty()) {
        walk.nobody_ringable = true;
        return false;
      }
      walk.nobody_ringable = false;
      out.steps.push_back(std::move(step));
      return true;
    }
    case UnknownCallerRoute::Kind::User:
      return ringAgent(route.agent_ids.front(), timeout_ms, walk);
    case UnknownCallerRoute::Kind::Number:
      ringAlone(config_.receiving_numbers.at(route.number), timeout_ms, std::nullopt, walk);
      return true;
  }
  return false;
}

}  // namespace callmesh::router
