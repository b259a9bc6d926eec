#include "shared/config/agent_registry.h"

#include <yaml-cpp/yaml.h>

namespace callmesh::config {

namespace {

const char* const kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

int dayIndex(const std::string& name) {
  for (int i = 0; i < 7; ++i) {
    if (name == kDays[i]) return i;
  }
  return -1;
}

// "mon", "mon-fri", "daily" -> day indexes (Monday = 0); false when not one of them.
bool addDays(const std::string& text, std::vector<int>& out) {
  if (text == "daily") {
    for (int d = 0; d < 7; ++d) out.push_back(d);
    return true;
  }
  auto dash = text.find('-');
  int from = dayIndex(dash == std::string::npos ? text : text.substr(0, dash));
  int to = dash == std::string::npos ? from : dayIndex(text.substr(dash + 1));
  if (from < 0 || to < from) return false;
  for (int d = from; d <= to; ++d) out.push_back(d);
  return true;
}

// "HH:MM" (00:00..24:00) -> minutes after midnight, or -1.
int minutesOf(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return -1;
  for (int i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return -1;
  }
  int h = (text[0] - '0') * 10 + (text[1] - '0');
  int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

std::string scalar(const YAML::Node& map, const char* key) {
  YAML::Node n = map[key];
  return n && n.IsScalar() ? n.Scalar() : std::string();
}

Error bad(const std::string& where, const std::string& what) {
  return invalidInput(what, "routing document: " + where);
}

Result<std::vector<WorkingHoursRange>> readHours(const YAML::Node& list, const std::string& where) {
  std::vector<WorkingHoursRange> out;
  if (!list.IsSequence()) return bad(where, "must list {days, from, to} ranges");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string at = where + "[" + std::to_string(i) + "]";
    const YAML::Node r = list[i];
    if (!r.IsMap()) return bad(at, "must be {days, from, to}");
    WorkingHoursRange range;
    const YAML::Node days = r["days"];
    bool ok = days.IsScalar() ? addDays(days.Scalar(), range.days) : days.IsSequence();
    if (days.IsSequence()) {
      for (const auto& d : days) ok = ok && d.IsScalar() && addDays(d.Scalar(), range.days);
    }
    range.from_minute = minutesOf(scalar(r, "from"));
    range.to_minute = minutesOf(scalar(r, "to"));
    if (!ok || range.from_minute < 0 || range.to_minute <= range.from_minute) {
      return bad(at, "must be {days: mon-fri, from: HH:MM, to: HH:MM} with from before to");
    }
    out.push_back(std::move(range));
  }
  return out;
}

}  // namespace

Result<AgentRegistry> parseAgentRegistry(const std::string& routing_yaml,
                                         const std::string& zoneinfo_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(routing_yaml);
  } catch (const YAML::Exception& e) {
    return invalidInput(std::string("YAML syntax: ") + e.what(), "routing document");
  }
  const YAML::Node& doc = root;
  AgentRegistry out;
  if (!doc.IsMap()) return out;
  std::map<std::string, std::string> location_zones;
  if (doc["locations"] && doc["locations"].IsSequence()) {
    for (const auto& l : doc["locations"]) {
      if (l.IsMap()) location_zones[scalar(l, "id")] = scalar(l, "time_zone");
    }
  }
  const YAML::Node agents = doc["agents"];
  if (!agents || !agents.IsSequence()) return out;
  std::map<std::string, std::shared_ptr<const tz::TimeZone>> zones;
  for (size_t i = 0; i < agents.size(); ++i) {
    std::string at = "agents[" + std::to_string(i) + "]";
    const YAML::Node a = agents[i];
    if (!a.IsMap() || scalar(a, "id").empty()) return bad(at, "needs an id");
    RegistryAgent r;
    r.id = scalar(a, "id");
    r.number = scalar(a, "number");
    std::string zone_name = scalar(a, "time_zone");
    if (zone_name.empty()) zone_name = location_zones[scalar(a, "location")];
    if (a["working_hours"]) {
      auto hours = readHours(a["working_hours"], at + ".working_hours");
      if (!hours.ok()) return hours.error();
      r.has_hours = true;
      r.hours.working_hours = std::move(hours.value());
      if (zone_name.empty()) return bad(at + ".time_zone", "working hours need a time zone");
    }
    if (!zone_name.empty()) {
      auto cached = zones.find(zone_name);
      if (cached == zones.end()) {
        auto z = tz::loadTimeZone(zone_name, zoneinfo_dir);
        if (!z.ok()) return bad(at + ".time_zone", z.error().message);
        cached = zones.emplace(zone_name, z.value()).first;
      }
      r.hours.zone = cached->second;
    }
    std::string role = scalar(a, "role");
    if (!role.empty() && role != "agent" && role != "admin") {
      return bad(at + ".role", "must be agent or admin");
    }
    r.role = role == "admin" ? ApiRole::Admin : ApiRole::Agent;
    r.api_token_sha256 = scalar(a, "api_token_sha256");
    if (!r.api_token_sha256.empty() && !isTokenHash(r.api_token_sha256)) {
      return bad(at + ".api_token_sha256", "must be 64 lowercase hex digits (a SHA-256)");
    }
    r.numbers.personal_number = scalar(a, "personal_number");
    r.numbers.company_number = scalar(a, "company_number");
    r.numbers.sender_id = scalar(a, "sender_id");
    out[r.id] = std::move(r);
  }
  return out;
}

std::map<std::string, AgentHours> mergedHours(const AgentRegistry& registry,
                                              const std::map<std::string, AgentHours>& configured) {
  auto out = configured;
  for (const auto& [id, a] : registry) {
    if (a.has_hours) {
      out[id] = a.hours;
    } else {
      out.erase(id);  // the registry says: no working hours, always working
    }
  }
  return out;
}

std::map<std::string, ApiToken> registryTokens(const AgentRegistry& registry) {
  std::map<std::string, ApiToken> out;
  for (const auto& [id, a] : registry) {
    if (!a.api_token_sha256.empty()) out[a.api_token_sha256] = ApiToken{id, a.role};
  }
  return out;
}

std::vector<std::string> deprecatedAgentKeys(const ClusterConfig& cfg) {
  std::vector<std::string> out;
  auto add = [&](const char* key, size_t n) {
    if (n > 0) out.push_back(std::string(key) + " (" + std::to_string(n) + ")");
  };
  add("agent_presence.agents", cfg.presence.agents.size());
  add("notification.agents", cfg.notification.agents.size());
  add("notification.tokens", cfg.notification.tokens.size());
  return out;
}

}  // namespace callmesh::config
