// routing.yaml, issue 16 (toll fraud): which projects an agent's device may name, and where a
// project's agents may call (`destinations:` of a project).
//
//   agents:
//     - {id: alice, outbound_project: renewals, outbound_projects: [collections]}
//   projects:
//     - id: renewals
//       destinations:
//         allowed_country_codes: [1, 44]      # E.164 country calling codes; absent = any
//         blocked_prefixes: ["+1900", "+1976"]  # premium rate and the like
//         max_attempts_per_agent_per_minute: 30  # absent or 0 = no cap

#include "services/router/config_fields.h"
#include "services/router/routing_config_parser.h"
#include "shared/phone/e164.h"

namespace callmesh::router {

void RoutingConfigParser::parseAgentProjects(YamlMap& m, Agent& a) {
  if (!m.has("outbound_projects")) return;
  int line = lineOf(m, "outbound_projects");
  for (std::string& project : m.stringList("outbound_projects")) {
    refer(Reference::Kind::Project, project, line, m.keyPath("outbound_projects"));
    outbound_line_ = outbound_line_ ? outbound_line_ : line;
    a.outbound_projects.push_back(std::move(project));
  }
}

void RoutingConfigParser::parseDestinationPolicy(YamlMap& project, DestinationPolicy& out) {
  YAML::Node node = project.child("destinations");
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    project.error("destinations", "must be a map (allowed_country_codes, blocked_prefixes, ...)");
    return;
  }
  YamlMap m(node, project.keyPath("destinations"), errors_);
  YAML::Node codes = m.child("allowed_country_codes");
  if (codes.IsDefined() && !codes.IsNull()) {
    if (!codes.IsSequence() || codes.size() == 0) {
      m.error("allowed_country_codes", "must list country calling codes such as [1, 44]");
    } else {
      for (size_t i = 0; i < codes.size(); ++i) {
        std::string text = codes[i].IsScalar() ? codes[i].Scalar() : "";
        if (!text.empty() && text[0] == '+') text.erase(0, 1);
        bool digits = !text.empty() && text.size() <= 3 &&
                      text.find_first_not_of("0123456789") == std::string::npos && text[0] != '0';
        if (!digits) {
          errors_.add(codes[i], m.keyPath("allowed_country_codes") + "[" + std::to_string(i) + "]",
                      "'" + (codes[i].IsScalar() ? codes[i].Scalar() : std::string("?")) +
                          "' is not a country calling code (1 to 999)");
          continue;
        }
        out.allowed_country_codes.insert(std::stoi(text));
      }
    }
  }
  for (const std::string& prefix : m.stringList("blocked_prefixes")) {
    if (!phone::isPlainE164(prefix)) {
      m.error("blocked_prefixes", "'" + prefix + "' must be + and digits, like +1900");
      continue;
    }
    out.blocked_prefixes.push_back(prefix);
  }
  out.max_attempts_per_agent_per_minute =
      static_cast<int>(m.integer("max_attempts_per_agent_per_minute", 0, 0, 100000));
  m.finish();
}

}  // namespace callmesh::router
