#pragma once

// Pure pieces of the provisioning API (routing_routes.cpp, docs/provisioning.md): the loader's
// refusals as a list naming field paths, the audit's line diff, and the per-resource edits of a
// routing document (read active -> change one list entry -> a new text to validate).
#include <optional>
#include <string>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::notification {

// One mistake the routing loader found: `line` in the document, `field` its path
// ("tracking_numbers[0].receiving_numbers[1].uri"), `message` what is wrong.
struct RoutingProblem {
  int line = 0;
  std::string field;
  std::string message;
};

// Splits the loader's "file:line: key: what" lines (ConfigErrors) into problems.
std::vector<RoutingProblem> routingProblems(const Error& loader_error);

// A line diff of two texts: "-" removed, "+" added, "@@ line N" where a change starts; "" when
// equal. Exact (LCS) for changes up to 2,000 lines each side after the common ends are taken
// off; a bigger middle is shown as all removed then all added.
std::string lineDiff(const std::string& before, const std::string& after);

// The resource families an admin edits one entry of, and the key naming an entry: tracking_numbers,
// receiving_numbers, company_numbers, crm_numbers and number_caps by `number`; schedules, agents,
// locations, queues, geo_routers, projects and account_caps by `id`. nullopt for any other section.
std::optional<std::string> resourceKey(const std::string& section);

// The entry of `section` whose key is `id` (numbers compared by their digits and '+'), as YAML
// text; NotFound when absent.
Result<std::string> getResource(const std::string& document, const std::string& section,
                                const std::string& id);
// The document with that entry replaced by `body` (YAML or JSON: a mapping), or appended when
// absent. The entry's key is set to `id`; a body naming another is InvalidInput.
Result<std::string> putResource(const std::string& document, const std::string& section,
                                const std::string& id, const std::string& body);
// The document without that entry; NotFound when absent.
Result<std::string> deleteResource(const std::string& document, const std::string& section,
                                   const std::string& id);

}  // namespace callmesh::notification
