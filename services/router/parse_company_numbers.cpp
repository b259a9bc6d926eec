// routing.yaml `company_numbers` (seed 004): contacts to their primary agent, unknown callers by
// custom rules with active hours, else the default.

#include "services/router/config_fields.h"
#include "services/router/routing_config_parser.h"

namespace callmesh::router {

UnknownCallerRoute RoutingConfigParser::unknownCallerRoute(const YAML::Node& node,
                                                           const std::string& path) {
  UnknownCallerRoute route;
  route.line = config::lineOf(node);
  const char* kExpected = "must be one of {blast: [agent ids] | user: agent id | number: ...}";
  if (!node.IsMap() || node.size() != 1) {
    errors_.add(node, path, kExpected);
    return route;
  }
  YamlMap m(node, path, errors_);
  if (m.has("blast")) {
    route.kind = UnknownCallerRoute::Kind::Blast;
    route.agent_ids = m.stringList("blast");
    if (route.agent_ids.empty() || route.agent_ids.size() > kMaxBlastAgents) {
      m.error("blast", "must list 1 to " + std::to_string(kMaxBlastAgents) + " agents (seed 004)");
    }
    for (const auto& id : route.agent_ids) {
      refer(Reference::Kind::AgentWithPhone, id, lineOf(m, "blast"), m.keyPath("blast"));
    }
  } else if (m.has("user")) {
    route.kind = UnknownCallerRoute::Kind::User;
    if (auto id = m.requiredString("user")) {
      route.agent_ids = {*id};
      refer(Reference::Kind::AgentWithPhone, *id, lineOf(m, "user"), m.keyPath("user"));
    }
  } else if (m.has("number")) {
    route.kind = UnknownCallerRoute::Kind::Number;
    route.number = readPhoneNumber(m, "number");
    if (!route.number.empty()) {
      refer(Reference::Kind::ReceivingNumber, route.number, lineOf(m, "number"),
            m.keyPath("number"));
    }
  } else {
    errors_.add(node.begin()->first, path + "." + node.begin()->first.Scalar(), kExpected);
    return route;
  }
  m.finish();
  return route;
}

void RoutingConfigParser::parseCompanyNumber(YamlMap& m) {
  CompanyNumber c;
  c.line = config::lineOf(m.node());
  c.number = readPhoneNumber(m, "number");
  c.zone = locationZone(m, true);
  c.source = m.string("source", "");
  c.ring_timeout_ms = timeoutMs(m, 45000);
  YamlMap u(m.child("unknown_callers"), m.keyPath("unknown_callers"), errors_);
  if (!m.has("unknown_callers")) m.error("unknown_callers", "is required (seed 004)");
  YAML::Node def = u.child("default");
  if (m.has("unknown_callers") && (!def.IsDefined() || def.IsNull())) {
    u.error("default", "is required: blast, user (the usual choice) or number");
  } else if (def.IsDefined()) {
    c.default_route = unknownCallerRoute(def, u.keyPath("default"));
  }
  YAML::Node rules = u.child("rules");
  if (rules.IsDefined() && !rules.IsNull()) {
    if (!rules.IsSequence()) {
      u.error("rules", "must be a list");
    } else if (rules.size() > kMaxCompanyRules) {
      u.error("rules", "at most " + std::to_string(kMaxCompanyRules) +
                           " custom rules are allowed (seed 004), got " +
                           std::to_string(rules.size()));
    } else {
      for (size_t i = 0; i < rules.size(); ++i) {
        YamlMap r(rules[i], u.keyPath("rules") + "[" + std::to_string(i) + "]", errors_);
        CompanyRule rule;
        rule.line = config::lineOf(rules[i]);
        if (auto name = r.requiredString("name")) rule.name = *name;
        rule.active_hours =
            readWeeklyHours(r.child("active_hours"), r.keyPath("active_hours"), errors_);
        YAML::Node route = r.child("route");
        if (!route.IsDefined() || route.IsNull()) {
          r.error("route", "is required");
        } else {
          rule.route = unknownCallerRoute(route, r.keyPath("route"));
        }
        // seed 004: "It is not allowed to choose duplicate time with other rules."
        for (const auto& earlier : c.rules) {
          if (auto clash = rule.active_hours.firstOverlap(earlier.active_hours)) {
            r.error("active_hours", clash->first.describe() + " overlaps rule '" + earlier.name +
                                        "' (" + clash->second.describe() +
                                        "); rules may not share a time");
            break;
          }
        }
        r.finish();
        c.rules.push_back(std::move(rule));
      }
    }
  }
  u.finish();
  if (claimInbound(m, c.number, "company number")) {
    cfg_.company_numbers.emplace(c.number, std::move(c));
  }
}

}  // namespace callmesh::router
