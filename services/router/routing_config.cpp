// The loader: reads the sections in the order they may refer back to each other, then checks
// references and loops once everything is known, and lists the errors in file-line order.
#include "services/router/routing_config.h"

#include "services/router/config_fields.h"
#include "services/router/routing_config_parser.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::router {

RoutingConfig RoutingConfigParser::parse(const YAML::Node& root, const std::string& file_name) {
  cfg_.source_file = file_name;
  YamlMap top(root, "", errors_);
  cfg_.pstn_gateway = top.string("pstn_gateway", "");
  forEach(top, "locations", [&](YamlMap& m) { parseLocation(m); });
  forEach(top, "schedules", [&](YamlMap& m) { parseSchedule(m); });
  forEach(top, "projects", [&](YamlMap& m) { parseProject(m); });
  forEach(top, "agents", [&](YamlMap& m) { parseAgent(m); });
  forEach(top, "voice_menus", [&](YamlMap& m) { parseMediaApp(m, cfg_.voice_menus); });
  forEach(top, "virtual_agents", [&](YamlMap& m) { parseMediaApp(m, cfg_.virtual_agents); });
  forEach(top, "receiving_numbers", [&](YamlMap& m) { parseReceivingNumberDefinition(m); });
  forEach(top, "queues", [&](YamlMap& m) { parseQueue(m); });
  forEach(top, "geo_routers", [&](YamlMap& m) { parseGeoRouter(m); });
  forEach(top, "tracking_numbers", [&](YamlMap& m) { parseTrackingNumber(m); });
  forEach(top, "crm_numbers", [&](YamlMap& m) { parseCrmNumber(m); });
  forEach(top, "company_numbers", [&](YamlMap& m) { parseCompanyNumber(m); });
  forEach(top, "number_caps", [&](YamlMap& m) { parseNumberCap(m); });
  forEach(top, "account_caps", [&](YamlMap& m) { parseAccountCap(m); });
  top.finish();
  checkOutboundReachable(top);
  resolveReferences();
  checkLoops();
  return std::move(cfg_);
}

void RoutingConfigParser::refer(Reference::Kind kind, std::string ref, int line, std::string key) {
  refs_.push_back(Reference{kind, Destination::Kind::Hangup, std::move(ref), line, std::move(key)});
}

std::optional<Destination> RoutingConfigParser::destination(YamlMap& m, const char* key) {
  YAML::Node n = m.child(key);
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  auto d = readDestination(n, m.keyPath(key), errors_);
  if (d && d->kind != Destination::Kind::Hangup) {
    refs_.push_back(
        Reference{Reference::Kind::Destination, d->kind, d->ref, d->line, m.keyPath(key)});
  }
  return d;
}

std::shared_ptr<const TimeZone> RoutingConfigParser::zone(const std::string& name, YamlMap& m,
                                                          const char* key) {
  auto cached = zones_.find(name);
  if (cached != zones_.end()) return cached->second;
  auto tz = loadTimeZone(name, zoneinfo_dir_);
  if (!tz.ok()) {
    m.error(key, tz.error().message);
    return nullptr;
  }
  zones_.emplace(name, tz.value());
  return tz.value();
}

// `location: <id>` naming a location defined above, giving its time zone.
std::shared_ptr<const TimeZone> RoutingConfigParser::locationZone(YamlMap& m, bool required) {
  if (!m.has("location")) {
    m.accept("location");
    if (required) m.error("location", "is required (its time zone reads the hours)");
    return nullptr;
  }
  auto id = m.requiredString("location");
  if (!id) return nullptr;
  auto it = cfg_.locations.find(*id);
  if (it == cfg_.locations.end()) {
    m.error("location", "no location '" + *id + "' in locations");
    return nullptr;
  }
  return it->second.zone;
}

int RoutingConfigParser::timeoutMs(YamlMap& m, int fallback_ms) {
  return static_cast<int>(m.integer("ring_timeout_s", fallback_ms / 1000, 1, 600) * 1000);
}

std::string RoutingConfigParser::gatewayUri(const std::string& e164) const {
  return "sip:" + e164 + "@" + cfg_.pstn_gateway;
}

int RoutingConfigParser::lineOf(YamlMap& m, const char* key) {
  return config::lineOf(m.has(key) ? m.node()[key] : m.node());
}

bool RoutingConfigParser::claimInbound(YamlMap& m, const std::string& number, const char* what) {
  if (number.empty()) return false;
  auto [it, fresh] = inbound_.emplace(number, what);
  if (!fresh) {
    m.error("number", std::string(what) + " " + number + " is listed twice" +
                          (it->second == what ? "" : std::string(" (also a ") + it->second + ")"));
    return false;
  }
  return true;
}

Result<RoutingConfig> parseRoutingConfig(const std::string& yaml_text, const std::string& file_name,
                                         const std::string& zoneinfo_dir) {
  auto root = config::parseYamlText(yaml_text, file_name);
  if (!root.ok()) return root.error();
  config::ConfigErrors errors(file_name);
  RoutingConfigParser parser(errors, zoneinfo_dir);
  RoutingConfig cfg = parser.parse(root.value(), file_name);
  if (!errors.empty()) {
    // Found section by section, then references, then loops: listed as the file reads.
    errors.sortByLine();
    return errors.toError();
  }
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : yaml_text) hash = (hash ^ c) * 1099511628211ull;
  cfg.content_hash = hash == 0 ? 1 : hash;
  return cfg;
}

Result<RoutingConfig> loadRoutingConfig(const std::string& path) {
  auto text = config::readTextFile(path, "routing config");
  if (!text.ok()) return text.error();
  return parseRoutingConfig(text.value(), path);
}

}  // namespace callmesh::router
