// Seed 001 (001_3054dfaf04b44f8c.txt, CRM callback numbers): the lead owner's phone, else the
// forwarding number, else the company phone.
#include "services/router/route_planner.h"

#include "services/router/company_number_rules.h"
#include "services/router/route_walk.h"

namespace callmesh::router {

void RoutePlanner::planCrmNumber(const CrmNumber& crm, Walk& walk) const {
  RouteOutcome& out = walk.out;
  out.trace.push_back("CRM number " + crm.number);
  // seed 001: a lead assigned to a user with a phone rings that phone.
  std::vector<Contact> leads = knownContacts(walk);
  if (auto owner = choosePrimaryAgent(leads)) {
    auto it = config_.agents.find(owner->agent_id);
    if (it != config_.agents.end() && it->second.hasPhone()) {
      out.trace.push_back("lead assigned to " + owner->agent_id + ", who has a phone");
      out.rule = "crm_lead_owner";
      ringAgent(owner->agent_id, crm.ring_timeout_ms, walk);
      return;
    }
    out.trace.push_back("lead assigned to " + owner->agent_id + ", who has no phone");
  } else {
    out.trace.push_back("lead not assigned to a user");
  }
  if (!crm.forwarding_number.empty()) {
    out.rule = "crm_forwarding_number";
    out.trace.push_back("forwarding number " + crm.forwarding_number);
    ringAlone(config_.receiving_numbers.at(crm.forwarding_number), crm.ring_timeout_ms,
              std::nullopt, walk);
    return;
  }
  out.trace.push_back("no forwarding number set up");
  if (!crm.company_phone.empty()) {
    out.rule = "crm_company_phone";
    out.trace.push_back("company phone " + crm.company_phone);
    ringAlone(config_.receiving_numbers.at(crm.company_phone), crm.ring_timeout_ms, std::nullopt,
              walk);
    return;
  }
  setReject(out, 480, "Temporarily Unavailable (no user phone, forwarding number or company phone)",
            "crm_nowhere");
  out.trace.push_back("no company phone set up: nowhere to ring");
}

}  // namespace callmesh::router
