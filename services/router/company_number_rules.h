#pragma once

#include <optional>
#include <string>
#include <vector>

#include "services/router/contact_directory.h"
#include "services/router/routing_table.h"

namespace callmesh::router {

// Which agent owns a known caller, and whose timelines record the call (seed 004, "Duplicate
// Phone Number").
struct PrimaryAgentChoice {
  std::string agent_id;
  std::vector<std::string> timeline_contact_ids;
  std::string why;
};

// One contact, or several sharing one primary agent -> that agent, timeline on all of them.
// Several with different primary agents -> the agent of the most recently created contact,
// timeline on that contact only. Contacts without a primary agent do not vote; nullopt when no
// contact has one.
std::optional<PrimaryAgentChoice> choosePrimaryAgent(const std::vector<Contact>& contacts);

// The first custom rule whose active hours contain `local` (custom rules before the default, seed
// 004), or nullptr when the default applies.
const CompanyRule* activeCompanyRule(const CompanyNumber& company, const LocalTime& local);

}  // namespace callmesh::router
