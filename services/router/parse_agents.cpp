// routing.yaml `agents`: who answers calls, and (seed 002) whose device calls out.

#include "services/router/config_fields.h"
#include "services/router/routing_config_parser.h"
#include "shared/config/cluster_config.h"

namespace callmesh::router {

void RoutingConfigParser::parseAgent(YamlMap& m) {
  Agent a;
  a.line = config::lineOf(m.node());
  a.id = readId(m, cfg_.agents, "agent");
  a.number = readOptionalPhoneNumber(m, "number");
  a.uri = m.string("uri", "");
  if (!a.uri.empty() && !isSipUri(a.uri)) m.error("uri", "must be a sip: or sips: URI");
  if (a.uri.empty() && !a.number.empty()) {
    if (cfg_.pstn_gateway.empty()) {
      m.error("uri", "is required to ring " + a.number + " (or set pstn_gateway)");
    } else {
      a.uri = gatewayUri(a.number);
    }
  }
  if (!a.number.empty()) phones_.push_back({a.number, a.line, m.keyPath("number")});
  a.outbound_number = readOptionalPhoneNumber(m, "outbound_number");
  a.outbound_project = m.string("outbound_project", "");
  if (!a.outbound_project.empty()) {
    refer(Reference::Kind::Project, a.outbound_project, lineOf(m, "outbound_project"),
          m.keyPath("outbound_project"));
    outbound_line_ = outbound_line_ ? outbound_line_ : lineOf(m, "outbound_project");
  }
  parseAgentProjects(m, a);
  bool has_hours = m.has("working_hours");
  if (m.has("time_zone")) {
    // The agent registry's form (docs/provisioning.md): the agent's own IANA zone.
    if (m.has("location")) m.error("time_zone", "set time_zone or location, not both");
    m.accept("location");
    auto name = m.string("time_zone", "");
    a.zone = name.empty() ? nullptr : zone(name, m, "time_zone");
  } else {
    a.zone = locationZone(m, has_hours);
  }
  // The rest of the registry's entry is read by notification (config/agent_registry.h); checked
  // here so a bad value is refused before it is activated.
  std::string role = m.string("role", "agent");
  if (role != "agent" && role != "admin") m.error("role", "must be agent or admin");
  std::string token = m.string("api_token_sha256", "");
  if (!token.empty() && !config::isTokenHash(token)) {
    m.error("api_token_sha256", "must be 64 lowercase hex digits (SHA-256 of the token)");
  }
  readOptionalPhoneNumber(m, "personal_number");
  readOptionalPhoneNumber(m, "company_number");
  m.string("sender_id", "");
  if (has_hours) {
    a.working_hours =
        readWeeklyHours(m.child("working_hours"), m.keyPath("working_hours"), errors_);
  }
  if (a.id.empty()) return;
  // seed 002: an agent's device calling out is recognised by its number or outbound number.
  for (const std::string* n : {&a.number, &a.outbound_number}) {
    if (n->empty()) continue;
    auto [it, fresh] = cfg_.agents_by_number.emplace(*n, a.id);
    if (fresh || it->second == a.id) continue;
    // Agents sharing a phone (a desk line) are fine until one of them calls out from it.
    auto other = cfg_.agents.find(it->second);
    bool calls_out = !a.outbound_project.empty() ||
                     (other != cfg_.agents.end() && !other->second.outbound_project.empty());
    if (calls_out) {
      m.error(n == &a.number ? "number" : "outbound_number",
              *n + " is also agent '" + it->second +
                  "''s number; an outbound call from it could not be told apart");
    }
  }
  if (!a.outbound_number.empty()) cfg_.outbound_numbers.insert(a.outbound_number);
  cfg_.agents.emplace(a.id, std::move(a));
}

}  // namespace callmesh::router
