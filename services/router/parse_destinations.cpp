// routing.yaml `voice_menus`, `virtual_agents`, `queues` and `geo_routers` (seed 000): where a
// call may go next.
#include <set>

#include "services/router/config_fields.h"
#include "services/router/routing_config_parser.h"

namespace callmesh::router {

void RoutingConfigParser::parseMediaApp(YamlMap& m, std::map<std::string, MediaApplication>& into) {
  MediaApplication app;
  app.id = readId(m, into, "media application");
  if (auto uri = m.requiredString("uri")) {
    if (!isSipUri(*uri)) m.error("uri", "must be a sip: or sips: URI");
    app.uri = *uri;
  }
  if (!app.id.empty()) into.emplace(app.id, std::move(app));
}

void RoutingConfigParser::parseQueue(YamlMap& m) {
  Queue q;
  q.line = config::lineOf(m.node());
  q.id = readId(m, cfg_.queues, "queue");
  q.strategy = readChoice(m, "strategy", QueueStrategy::RingAll,
                          {{"ring_all", QueueStrategy::RingAll},
                           {"round_robin", QueueStrategy::RoundRobin},
                           {"longest_idle", QueueStrategy::LongestIdle}});
  q.agent_ids = m.stringList("agents");
  if (q.agent_ids.empty()) m.error("agents", "must list at least one agent id");
  for (const auto& id : q.agent_ids) {
    refer(Reference::Kind::AgentWithPhone, id, lineOf(m, "agents"), m.keyPath("agents"));
  }
  q.ring_timeout_ms = timeoutMs(m, 45000);
  q.no_answer = destination(m, "no_answer");
  if (!q.id.empty()) {
    keys_["queue " + q.id] = m.path();
    cfg_.queues.emplace(q.id, std::move(q));
  }
}

void RoutingConfigParser::parseGeoRouter(YamlMap& m) {
  GeoRouter g;
  g.line = config::lineOf(m.node());
  g.id = readId(m, cfg_.geo_routers, "geo router");
  YAML::Node routes = m.child("routes");
  if (!routes.IsSequence() || routes.size() == 0) {
    m.error("routes", "must list at least one {zips, area_codes, number} route");
  } else {
    std::set<std::string> prefixes;
    for (size_t i = 0; i < routes.size(); ++i) {
      YamlMap r(routes[i], m.keyPath("routes") + "[" + std::to_string(i) + "]", errors_);
      std::string number = readPhoneNumber(r, "number");
      if (!number.empty()) {
        refer(Reference::Kind::ReceivingNumber, number, lineOf(r, "number"), r.keyPath("number"));
      }
      auto zips = r.stringList("zips");
      auto codes = r.stringList("area_codes");
      if (zips.empty() && codes.empty()) r.error("zips", "a route needs zips or area_codes");
      for (const auto& zip : zips) {
        if (zip.size() != 5 || zip.find_first_not_of("0123456789") != std::string::npos) {
          r.error("zips", "'" + zip + "' is not a five-digit ZIP code");
        } else if (!g.by_zip.emplace(zip, number).second) {
          r.error("zips", "ZIP " + zip + " is listed twice");
        }
      }
      for (const auto& code : codes) {
        std::string prefix;
        for (char ch : code) {
          if (ch != ' ' && ch != '-') prefix += ch;
        }
        if (prefix.size() < 2 || prefix[0] != '+' ||
            prefix.find_first_not_of("0123456789", 1) != std::string::npos) {
          r.error("area_codes", "'" + code + "' is not an E.164 prefix like +1212");
        } else if (!prefixes.insert(prefix).second) {
          r.error("area_codes", "area code " + prefix + " is listed twice");
        } else {
          g.by_prefix.emplace_back(prefix, number);
        }
      }
      r.finish();
    }
  }
  if (auto d = destination(m, "default")) g.fallback = *d;
  if (!g.id.empty()) {
    keys_["geo " + g.id] = m.path();
    cfg_.geo_routers.emplace(g.id, std::move(g));
  }
}

}  // namespace callmesh::router
