#include "services/router/company_number_rules.h"

#include <algorithm>
#include <tuple>

namespace callmesh::router {

std::optional<PrimaryAgentChoice> choosePrimaryAgent(const std::vector<Contact>& contacts) {
  std::vector<const Contact*> owned;
  for (const auto& c : contacts) {
    if (!c.primary_agent_id.empty()) owned.push_back(&c);
  }
  if (owned.empty()) return std::nullopt;
  bool same_agent = std::all_of(owned.begin(), owned.end(), [&](const Contact* c) {
    return c->primary_agent_id == owned.front()->primary_agent_id;
  });
  PrimaryAgentChoice out;
  if (same_agent) {
    out.agent_id = owned.front()->primary_agent_id;
    for (const auto& c : contacts) out.timeline_contact_ids.push_back(c.id);
    out.why = std::to_string(contacts.size()) + " contact(s) with this number, primary agent " +
              out.agent_id + "; timeline on all of them";
    return out;
  }
  // Newest first; the id breaks ties so the choice does not depend on the directory's order.
  const Contact* newest = *std::max_element(owned.begin(), owned.end(), [](auto* a, auto* b) {
    return std::tie(a->created_at_ms, a->id) < std::tie(b->created_at_ms, b->id);
  });
  out.agent_id = newest->primary_agent_id;
  out.timeline_contact_ids.push_back(newest->id);
  out.why = std::to_string(owned.size()) +
            " contacts with this number have different primary agents; newest contact " +
            newest->id + " belongs to " + out.agent_id + "; timeline on it only";
  return out;
}

const CompanyRule* activeCompanyRule(const CompanyNumber& company, const LocalTime& local) {
  for (const auto& rule : company.rules) {
    if (rule.active_hours.contains(local)) return &rule;
  }
  return nullptr;
}

}  // namespace callmesh::router
