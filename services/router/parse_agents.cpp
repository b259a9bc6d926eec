// routing.yaml `agents`: who answers calls, and (seed 002) whose device calls out.

#include "services/router/config_fields.h"
#include "services/router/routing_config_parser.h"

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
  a.zone = locationZone(m, has_hours);
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
