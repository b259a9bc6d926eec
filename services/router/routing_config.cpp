#include "services/router/routing_config.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "services/router/config_fields.h"
#include "services/router/phone_number.h"
#include "services/router/routing_graph.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::router {

using config::ConfigErrors;
using config::YamlMap;

const char* destinationKindName(Destination::Kind kind) {
  switch (kind) {
    case Destination::Kind::Hangup:
      return "hangup";
    case Destination::Kind::ReceivingNumber:
      return "receiving number";
    case Destination::Kind::VoiceMenu:
      return "voice menu";
    case Destination::Kind::VirtualAgent:
      return "virtual agent";
    case Destination::Kind::Queue:
      return "queue";
    case Destination::Kind::GeoRouter:
      return "geo router";
    case Destination::Kind::Agent:
      return "agent";
  }
  return "?";
}

const char* queueStrategyName(QueueStrategy s) {
  switch (s) {
    case QueueStrategy::RingAll:
      return "ring_all";
    case QueueStrategy::RoundRobin:
      return "round_robin";
    case QueueStrategy::LongestIdle:
      return "longest_idle";
  }
  return "?";
}

const char* firstCallNumberName(FirstCallNumber f) {
  switch (f) {
    case FirstCallNumber::Fixed:
      return "fixed";
    case FirstCallNumber::Random:
      return "random";
    case FirstCallNumber::Regional:
      return "regional";
  }
  return "?";
}

const char* laterCallNumberName(LaterCallNumber l) {
  switch (l) {
    case LaterCallNumber::Random:
      return "random";
    case LaterCallNumber::DifferentEachAttempt:
      return "different_each_attempt";
    case LaterCallNumber::Regional:
      return "regional";
  }
  return "?";
}

bool OutboundProject::hasNumber(const std::string& e164) const {
  return std::any_of(numbers.begin(), numbers.end(),
                     [&](const OutboundNumber& n) { return n.number == e164; });
}

std::string ReceivingNumber::extensionDigits() const {
  if (extension.empty()) return {};
  return std::string(static_cast<size_t>(dial_pause_s) * 2, 'w') + extension;
}

namespace {

// A name used before its definition may appear later in the file, so references are collected
// while parsing and checked once every section is known.
struct Reference {
  enum class Kind { Destination, Agent, AgentWithPhone, Schedule, ReceivingNumber, Project };
  Kind kind;
  Destination::Kind destination_kind = Destination::Kind::Hangup;
  std::string ref;
  int line = 0;
  std::string key;
};

class RoutingConfigParser {
 public:
  RoutingConfigParser(ConfigErrors& errors, std::string zoneinfo_dir)
      : errors_(errors), zoneinfo_dir_(std::move(zoneinfo_dir)) {}

  RoutingConfig parse(const YAML::Node& root, const std::string& file_name) {
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
    top.finish();
    checkOutboundReachable(top);
    resolveReferences();
    checkLoops();
    return std::move(cfg_);
  }

 private:
  template <typename Fn>
  void forEach(YamlMap& top, const char* key, Fn&& fn) {
    YAML::Node list = top.child(key);
    if (!list.IsDefined() || list.IsNull()) return;
    if (!list.IsSequence()) {
      errors_.add(list, key, "must be a list");
      return;
    }
    for (size_t i = 0; i < list.size(); ++i) {
      YamlMap m(list[i], std::string(key) + "[" + std::to_string(i) + "]", errors_);
      if (!m.valid()) continue;
      fn(m);
      m.finish();
    }
  }

  void refer(Reference::Kind kind, std::string ref, int line, std::string key) {
    refs_.push_back(
        Reference{kind, Destination::Kind::Hangup, std::move(ref), line, std::move(key)});
  }

  std::optional<Destination> destination(YamlMap& m, const char* key) {
    YAML::Node n = m.child(key);
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    auto d = readDestination(n, m.keyPath(key), errors_);
    if (d && d->kind != Destination::Kind::Hangup) {
      refs_.push_back(
          Reference{Reference::Kind::Destination, d->kind, d->ref, d->line, m.keyPath(key)});
    }
    return d;
  }

  // `id` must be present and unique within its section.
  template <typename Map>
  std::string readId(YamlMap& m, const Map& existing, const char* what) {
    auto id = m.requiredString("id");
    if (!id) return {};
    if (id->empty()) {
      m.error("id", "must not be empty");
      return {};
    }
    if (existing.count(*id)) {
      m.error("id", std::string(what) + " '" + *id + "' is defined twice");
      return {};
    }
    return *id;
  }

  std::shared_ptr<const TimeZone> zone(const std::string& name, YamlMap& m, const char* key) {
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
  std::shared_ptr<const TimeZone> locationZone(YamlMap& m, bool required) {
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

  int timeoutMs(YamlMap& m, int fallback_ms) {
    return static_cast<int>(m.integer("ring_timeout_s", fallback_ms / 1000, 1, 600) * 1000);
  }

  void parseLocation(YamlMap& m) {
    Location loc;
    loc.id = readId(m, cfg_.locations, "location");
    if (auto tz = m.requiredString("time_zone")) loc.zone = zone(*tz, m, "time_zone");
    if (!loc.id.empty() && loc.zone) cfg_.locations.emplace(loc.id, std::move(loc));
  }

  void parseSchedule(YamlMap& m) {
    Schedule s;
    s.id = readId(m, cfg_.schedules, "schedule");
    s.zone = locationZone(m, true);
    s.hours = readWeeklyHours(m.child("hours"), m.keyPath("hours"), errors_);
    YAML::Node holidays = m.child("holidays");
    for (const auto& text : m.stringList("holidays")) {
      std::chrono::year_month_day ymd{};
      int y = 0, mo = 0, d = 0;
      char extra = 0;
      bool ok =
          std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &extra) == 3 && text.size() == 10;
      if (ok) {
        ymd = std::chrono::year{y} / std::chrono::month{static_cast<unsigned>(mo)} /
              std::chrono::day{static_cast<unsigned>(d)};
      }
      if (!ok || !ymd.ok()) {
        errors_.add(holidays, m.keyPath("holidays"), "'" + text + "' is not a date YYYY-MM-DD");
        continue;
      }
      s.holidays.insert(text);
    }
    if (!s.id.empty() && s.zone) cfg_.schedules.emplace(s.id, std::move(s));
  }

  void parseAgent(YamlMap& m) {
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

  // seed 002: "Number selection logic" of a project's outbound calls.
  void parseProject(YamlMap& m) {
    OutboundProject p;
    p.line = config::lineOf(m.node());
    p.id = readId(m, cfg_.projects, "project");
    if (!p.id.empty() &&
        p.id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789_-.") != std::string::npos) {
      m.error("id",
              "'" + p.id + "' may hold only letters, digits, _ - and . (it names Redis fields)");
      p.id.clear();
    }
    outbound_line_ = outbound_line_ ? outbound_line_ : p.line;
    YAML::Node numbers = m.child("numbers");
    if (!numbers.IsDefined() || !numbers.IsSequence() || numbers.size() == 0) {
      m.error("numbers", "must list at least one outbound number (seed 002)");
    } else {
      for (size_t i = 0; i < numbers.size(); ++i) {
        std::string key = m.keyPath("numbers") + "[" + std::to_string(i) + "]";
        auto e164 = numbers[i].IsScalar() ? toE164(numbers[i].Scalar())
                                          : Result<std::string>(invalidInput("must be a number"));
        if (!e164.ok()) {
          errors_.add(numbers[i], key, e164.error().message);
        } else if (p.hasNumber(e164.value())) {
          errors_.add(numbers[i], key, e164.value() + " is listed twice");
        } else {
          NumberGeography g = geographyOf(e164.value());
          p.numbers.push_back(OutboundNumber{e164.value(), g.region_code, g.area_code});
          cfg_.outbound_numbers.insert(e164.value());
        }
      }
    }
    std::string first = m.string("first_call", "random");
    if (first == "fixed") {
      p.first_call = FirstCallNumber::Fixed;
    } else if (first == "random") {
      p.first_call = FirstCallNumber::Random;
    } else if (first == "regional") {
      p.first_call = FirstCallNumber::Regional;
    } else {
      m.error("first_call", "must be fixed, random or regional");
    }
    p.fixed_number = readOptionalPhoneNumber(m, "fixed_number");
    if (p.first_call == FirstCallNumber::Fixed && p.fixed_number.empty()) {
      m.error("fixed_number", "is required with first_call: fixed");
    } else if (p.first_call != FirstCallNumber::Fixed && !p.fixed_number.empty()) {
      m.error("fixed_number", "is used only with first_call: fixed");
    } else if (!p.fixed_number.empty() && !p.numbers.empty() && !p.hasNumber(p.fixed_number)) {
      m.error("fixed_number", p.fixed_number + " is not one of the project's numbers");
    }
    p.keep_number_with_contact = m.boolean("keep_number_with_contact", false);
    p.agent_number_overrides = m.boolean("agent_number_overrides", false);
    p.ring_timeout_ms = timeoutMs(m, 45000);
    YAML::Node later = m.child("later_attempts");
    if (later.IsDefined() && !later.IsNull()) {
      YamlMap l(later, m.keyPath("later_attempts"), errors_);
      std::string def = l.string("default", "random");
      if (def == "random") {
        p.later_default = LaterCallNumber::Random;
      } else if (def == "different_each_attempt") {
        p.later_default = LaterCallNumber::DifferentEachAttempt;
      } else if (def == "regional") {
        p.later_default = LaterCallNumber::Regional;
      } else {
        l.error("default", "must be random, different_each_attempt or regional");
      }
      YAML::Node outcomes = l.child("by_outcome");
      if (outcomes.IsDefined() && !outcomes.IsNull()) {
        if (!outcomes.IsMap()) {
          l.error("by_outcome", "must map outcome names to numbers");
        } else {
          // The outcome names are the dialer's, so they are read, not checked against a list; a
          // number the project does not have is accepted and falls back at call time, as seed
          // 002 says of a number "not available to the project any more".
          YamlMap o(outcomes, l.keyPath("by_outcome"), errors_);
          for (auto it = outcomes.begin(); it != outcomes.end(); ++it) {
            std::string name = it->first.Scalar();
            if (std::string n = readPhoneNumber(o, name); !n.empty()) p.by_outcome[name] = n;
          }
          o.finish();
        }
      }
      l.finish();
    }
    if (!p.id.empty()) cfg_.projects.emplace(p.id, std::move(p));
  }

  // Outbound calls are rung through the PSTN gateway; without one there is nowhere to send them.
  void checkOutboundReachable(YamlMap& top) {
    if (outbound_line_ && cfg_.pstn_gateway.empty()) {
      errors_.addAtLine(outbound_line_, top.keyPath("pstn_gateway"),
                        "is required for outbound calls (projects, agents' outbound_project)");
    }
  }

  void parseMediaApp(YamlMap& m, std::map<std::string, MediaApplication>& into) {
    MediaApplication app;
    app.id = readId(m, into, "media application");
    if (auto uri = m.requiredString("uri")) {
      if (!isSipUri(*uri)) m.error("uri", "must be a sip: or sips: URI");
      app.uri = *uri;
    }
    if (!app.id.empty()) into.emplace(app.id, std::move(app));
  }

  std::string gatewayUri(const std::string& e164) const {
    return "sip:" + e164 + "@" + cfg_.pstn_gateway;
  }

  // A receiving number with its options. `number` and `uri` alone may be repeated identically
  // (the original direct-forward format lists them under every tracking number); a number with
  // options is defined once and referred to by number elsewhere.
  void parseReceivingNumberDefinition(YamlMap& m) {
    ReceivingNumber rn;
    rn.line = config::lineOf(m.node());
    rn.number = readPhoneNumber(m, "number");
    rn.uri = m.string("uri", "");
    if (!rn.uri.empty() && !isSipUri(rn.uri)) m.error("uri", "must be a sip: or sips: URI");
    if (rn.uri.empty()) {
      if (cfg_.pstn_gateway.empty()) {
        m.error("uri", "is required (or set pstn_gateway to reach numbers through a gateway)");
      } else if (!rn.number.empty()) {
        rn.uri = gatewayUri(rn.number);
      }
    }
    bool plain = true;
    for (auto it = m.node().begin(); it != m.node().end(); ++it) {
      const std::string key = it->first.Scalar();
      if (key != "number" && key != "uri") plain = false;
    }
    rn.extension = m.string("extension", "");
    if (rn.extension.size() > 32 ||
        rn.extension.find_first_not_of("0123456789*#w") != std::string::npos) {
      m.error("extension", "may hold only digits, * and #, and w for a half-second pause (max 32)");
    }
    rn.dial_pause_s = static_cast<int>(m.integer("dial_pause_s", 0, 0, 30));
    if (rn.dial_pause_s > 0 && rn.extension.empty()) {
      m.error("dial_pause_s", "needs an extension to pause before");
    }
    rn.whisper = m.string("whisper", "");
    rn.prevent_recording = m.boolean("prevent_recording", false);
    std::string caller_id = m.string("caller_id", "caller");
    if (caller_id == "caller") {
      rn.caller_id.mode = CallerIdRule::Mode::Caller;
    } else if (caller_id == "tracking_number") {
      rn.caller_id.mode = CallerIdRule::Mode::TrackingNumber;
    } else if (auto e164 = toE164(caller_id); e164.ok()) {
      rn.caller_id.mode = CallerIdRule::Mode::Fixed;
      rn.caller_id.number = e164.value();
    } else {
      m.error("caller_id",
              "must be caller, tracking_number or a phone number (" + e164.error().message + ")");
    }
    rn.agent_id = m.string("agent", "");
    if (!rn.agent_id.empty()) {
      refer(Reference::Kind::Agent, rn.agent_id, lineOf(m, "agent"), m.keyPath("agent"));
    }
    rn.source_tag = m.string("source_tag", "");
    parseScheduledRouting(m, rn);
    parseTaggingHours(m, rn);
    if (m.has("ring_timeout_s")) rn.ring_timeout_ms = timeoutMs(m, 45000);
    m.accept("ring_timeout_s");
    rn.no_answer = destination(m, "no_answer");
    if (rn.number.empty()) return;
    rn_keys_.emplace(rn.number, m.keyPath("number"));
    keys_.emplace("receiving " + rn.number, m.path());
    auto existing = cfg_.receiving_numbers.find(rn.number);
    if (existing != cfg_.receiving_numbers.end()) {
      bool same = plain && plain_.count(rn.number) && existing->second.uri == rn.uri;
      if (!same) {
        m.error("number", "receiving number " + rn.number + " is defined twice (also at line " +
                              std::to_string(existing->second.line) +
                              "); define it once and refer to it by number");
      }
      return;
    }
    if (plain) plain_.insert(rn.number);
    cfg_.receiving_numbers.emplace(rn.number, std::move(rn));
  }

  static int lineOf(YamlMap& m, const char* key) {
    return config::lineOf(m.has(key) ? m.node()[key] : m.node());
  }

  void parseScheduledRouting(YamlMap& m, ReceivingNumber& rn) {
    YAML::Node n = m.child("schedule");
    if (!n.IsDefined() || n.IsNull()) return;
    ScheduledRouting sr;
    if (n.IsScalar()) {
      sr.schedule_id = n.Scalar();
    } else {
      YamlMap s(n, m.keyPath("schedule"), errors_);
      if (auto id = s.requiredString("id")) sr.schedule_id = *id;
      if (auto d = destination(s, "when_closed")) sr.when_closed = *d;
      s.finish();
    }
    refer(Reference::Kind::Schedule, sr.schedule_id, config::lineOf(n), m.keyPath("schedule"));
    rn.schedule = std::move(sr);
  }

  void parseTaggingHours(YamlMap& m, ReceivingNumber& rn) {
    YAML::Node n = m.child("tagging_hours");
    if (!n.IsDefined() || n.IsNull()) return;
    YamlMap t(n, m.keyPath("tagging_hours"), errors_);
    TaggingHours th;
    if (auto id = t.requiredString("schedule")) {
      th.schedule_id = *id;
      refer(Reference::Kind::Schedule, *id, lineOf(t, "schedule"), t.keyPath("schedule"));
    }
    th.after_hours_max_duration_s =
        static_cast<int>(t.integer("after_hours_max_duration_s", 0, 0, 86400));
    t.finish();
    rn.tagging_hours = th;
  }

  // An entry of a receiving-number list: "+1..." or {number} refers; more keys define.
  std::string receivingNumberEntry(const YAML::Node& node, const std::string& path) {
    if (node.IsScalar()) {
      auto e164 = toE164(node.Scalar());
      if (!e164.ok()) {
        errors_.add(node, path, e164.error().message);
        return {};
      }
      refer(Reference::Kind::ReceivingNumber, e164.value(), config::lineOf(node), path);
      return e164.value();
    }
    YamlMap m(node, path, errors_);
    if (!m.valid()) return {};
    if (node.size() == 1 && m.has("number")) {
      std::string e164 = readPhoneNumber(m, "number");
      if (!e164.empty()) {
        refer(Reference::Kind::ReceivingNumber, e164, config::lineOf(node), m.keyPath("number"));
      }
      return e164;
    }
    parseReceivingNumberDefinition(m);
    m.finish();
    YAML::Node number = node["number"];
    if (!number.IsDefined() || !number.IsScalar()) return {};
    auto e164 = toE164(number.Scalar());
    return e164.ok() ? e164.value() : std::string();
  }

  void parseQueue(YamlMap& m) {
    Queue q;
    q.line = config::lineOf(m.node());
    q.id = readId(m, cfg_.queues, "queue");
    std::string strategy = m.string("strategy", "ring_all");
    if (strategy == "ring_all") {
      q.strategy = QueueStrategy::RingAll;
    } else if (strategy == "round_robin") {
      q.strategy = QueueStrategy::RoundRobin;
    } else if (strategy == "longest_idle") {
      q.strategy = QueueStrategy::LongestIdle;
    } else {
      m.error("strategy", "must be ring_all, round_robin or longest_idle");
    }
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

  void parseGeoRouter(YamlMap& m) {
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

  bool claimInbound(YamlMap& m, const std::string& number, const char* what) {
    if (number.empty()) return false;
    auto [it, fresh] = inbound_.emplace(number, what);
    if (!fresh) {
      m.error("number",
              std::string(what) + " " + number + " is listed twice" +
                  (it->second == what ? "" : std::string(" (also a ") + it->second + ")"));
      return false;
    }
    return true;
  }

  void parseTrackingNumber(YamlMap& m) {
    TrackingNumber tn;
    tn.line = config::lineOf(m.node());
    tn.number = readPhoneNumber(m, "number");
    tn.ring_timeout_ms = timeoutMs(m, 45000);
    std::string order = m.string("ring", "together");
    if (order == "together") {
      tn.ring_order = RingOrder::Together;
    } else if (order == "in_order") {
      tn.ring_order = RingOrder::InOrder;
    } else {
      m.error("ring", "must be together or in_order");
    }
    tn.whisper = m.string("whisper", "");
    tn.route = destination(m, "route");
    YAML::Node list = m.child("receiving_numbers");
    bool has_list = list.IsDefined() && !list.IsNull();
    if (has_list && tn.route) {
      m.error("route", "give either receiving_numbers or route, not both");
    } else if (!tn.route && (!has_list || !list.IsSequence() || list.size() == 0)) {
      m.error("receiving_numbers", "must list at least one receiving number");
    } else if (has_list) {
      for (size_t j = 0; j < list.size(); ++j) {
        std::string e164 = receivingNumberEntry(
            list[j], m.keyPath("receiving_numbers") + "[" + std::to_string(j) + "]");
        if (!e164.empty()) tn.receiving_numbers.push_back(e164);
      }
    }
    tn.no_answer = destination(m, "no_answer");
    if (claimInbound(m, tn.number, "tracking number")) {
      keys_["tracking " + tn.number] = m.path();
      cfg_.tracking_numbers.emplace(tn.number, std::move(tn));
    }
  }

  void parseCrmNumber(YamlMap& m) {
    CrmNumber crm;
    crm.line = config::lineOf(m.node());
    crm.number = readPhoneNumber(m, "number");
    crm.forwarding_number = readOptionalPhoneNumber(m, "forwarding_number");
    crm.company_phone = readOptionalPhoneNumber(m, "company_phone");
    for (const char* key : {"forwarding_number", "company_phone"}) {
      const std::string& n =
          std::string(key) == "forwarding_number" ? crm.forwarding_number : crm.company_phone;
      if (!n.empty()) refer(Reference::Kind::ReceivingNumber, n, lineOf(m, key), m.keyPath(key));
    }
    crm.ring_timeout_ms = timeoutMs(m, 45000);
    if (claimInbound(m, crm.number, "CRM number")) {
      cfg_.crm_numbers.emplace(crm.number, std::move(crm));
    }
  }

  UnknownCallerRoute unknownCallerRoute(const YAML::Node& node, const std::string& path) {
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
        m.error("blast",
                "must list 1 to " + std::to_string(kMaxBlastAgents) + " agents (seed 004)");
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

  void parseCompanyNumber(YamlMap& m) {
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

  bool destinationExists(Destination::Kind kind, const std::string& ref) const {
    switch (kind) {
      case Destination::Kind::Hangup:
        return true;
      case Destination::Kind::ReceivingNumber:
        return cfg_.receiving_numbers.count(ref) > 0;
      case Destination::Kind::VoiceMenu:
        return cfg_.voice_menus.count(ref) > 0;
      case Destination::Kind::VirtualAgent:
        return cfg_.virtual_agents.count(ref) > 0;
      case Destination::Kind::Queue:
        return cfg_.queues.count(ref) > 0;
      case Destination::Kind::GeoRouter:
        return cfg_.geo_routers.count(ref) > 0;
      case Destination::Kind::Agent:
        return cfg_.agents.count(ref) > 0 && cfg_.agents.at(ref).hasPhone();
    }
    return false;
  }

  void resolveReferences() {
    for (const auto& r : refs_) {
      switch (r.kind) {
        case Reference::Kind::Agent:
          if (!cfg_.agents.count(r.ref)) {
            errors_.addAtLine(r.line, r.key, "no agent '" + r.ref + "' in agents");
          }
          break;
        case Reference::Kind::AgentWithPhone:
          if (!cfg_.agents.count(r.ref)) {
            errors_.addAtLine(r.line, r.key, "no agent '" + r.ref + "' in agents");
          } else if (!cfg_.agents.at(r.ref).hasPhone()) {
            errors_.addAtLine(r.line, r.key, "agent '" + r.ref + "' has no number or uri to ring");
          }
          break;
        case Reference::Kind::Schedule:
          if (!cfg_.schedules.count(r.ref)) {
            errors_.addAtLine(r.line, r.key, "no schedule '" + r.ref + "' in schedules");
          }
          break;
        case Reference::Kind::ReceivingNumber:
          resolveReceivingNumber(r.ref, r.line, r.key);
          break;
        case Reference::Kind::Project:
          if (!cfg_.projects.count(r.ref)) {
            errors_.addAtLine(r.line, r.key, "no project '" + r.ref + "' in projects");
          }
          break;
        case Reference::Kind::Destination:
          if (r.destination_kind == Destination::Kind::ReceivingNumber) {
            resolveReceivingNumber(r.ref, r.line, r.key);
          } else if (!destinationExists(r.destination_kind, r.ref)) {
            errors_.addAtLine(
                r.line, r.key,
                std::string("no ") + destinationKindName(r.destination_kind) + " '" + r.ref + "'" +
                    (r.destination_kind == Destination::Kind::Agent ? " with a phone in agents"
                                                                    : ""));
          }
          break;
      }
    }
  }

  // A number named but not defined is reached through the PSTN gateway when there is one.
  void resolveReceivingNumber(const std::string& e164, int line, const std::string& key) {
    if (cfg_.receiving_numbers.count(e164)) return;
    if (auto own = inbound_.find(e164); own != inbound_.end()) {
      errors_.addAtLine(line, key,
                        e164 + " is our own " + own->second +
                            "; ringing it would loop the call back here (seed 003)");
      return;
    }
    if (cfg_.pstn_gateway.empty()) {
      errors_.addAtLine(
          line, key,
          "receiving number " + e164 +
              " is not defined in receiving_numbers (and no pstn_gateway reaches it)");
      return;
    }
    ReceivingNumber rn;
    rn.number = e164;
    rn.uri = gatewayUri(e164);
    rn.line = line;
    rn_keys_.emplace(e164, key);
    cfg_.receiving_numbers.emplace(e164, std::move(rn));
  }

  static std::string node(Destination::Kind kind, const std::string& ref) {
    return std::string(destinationKindName(kind)) + " " + ref;
  }

  void addDestinationEdge(RoutingGraph& g, const std::string& from,
                          const std::optional<Destination>& d, const std::string& key) {
    if (!d || d->kind == Destination::Kind::Hangup) return;
    g.addEdge(from, node(d->kind, d->ref), d->line, key);
  }

  // seed 003: forwarding to a line that forwards back to us rings forever. Every phone we dial
  // must not be one of our own inbound numbers, and no chain of routing may come back on itself.
  void checkLoops() {
    for (const auto& [number, rn] : cfg_.receiving_numbers) {
      phones_.push_back({number, rn.line, rn_keys_.count(number) ? rn_keys_[number] : "number"});
    }
    for (const auto& phone : phones_) {
      auto own = inbound_.find(phone.number);
      if (own != inbound_.end()) {
        errors_.addAtLine(phone.line, phone.key,
                          phone.number + " is our own " + own->second +
                              "; ringing it would loop the call back here (seed 003)");
      }
    }
    RoutingGraph g;
    using K = Destination::Kind;
    auto key = [&](const std::string& node_key, const char* field) {
      auto it = keys_.find(node_key);
      return (it == keys_.end() ? node_key : it->second) + "." + field;
    };
    for (const auto& [number, tn] : cfg_.tracking_numbers) {
      std::string from = "tracking number " + number;
      for (const auto& rn : tn.receiving_numbers) {
        g.addEdge(from, node(K::ReceivingNumber, rn), tn.line,
                  key("tracking " + number, "receiving_numbers"));
      }
      addDestinationEdge(g, from, tn.route, key("tracking " + number, "route"));
      addDestinationEdge(g, from, tn.no_answer, key("tracking " + number, "no_answer"));
    }
    for (const auto& [number, rn] : cfg_.receiving_numbers) {
      std::string from = node(K::ReceivingNumber, number);
      addDestinationEdge(g, from, rn.no_answer, key("receiving " + number, "no_answer"));
      if (rn.schedule) {
        addDestinationEdge(g, from, rn.schedule->when_closed,
                           key("receiving " + number, "schedule.when_closed"));
      }
    }
    for (const auto& [id, q] : cfg_.queues) {
      addDestinationEdge(g, node(K::Queue, id), q.no_answer, key("queue " + id, "no_answer"));
    }
    for (const auto& [id, geo] : cfg_.geo_routers) {
      std::string from = node(K::GeoRouter, id);
      for (const auto& [zip, rn] : geo.by_zip) {
        g.addEdge(from, node(K::ReceivingNumber, rn), geo.line, key("geo " + id, "routes"));
      }
      for (const auto& [prefix, rn] : geo.by_prefix) {
        g.addEdge(from, node(K::ReceivingNumber, rn), geo.line, key("geo " + id, "routes"));
      }
      addDestinationEdge(g, from, geo.fallback, key("geo " + id, "default"));
    }
    for (const auto& loop : g.findLoops()) {
      std::string path;
      for (const auto& n : loop.nodes) path += (path.empty() ? "" : " -> ") + n;
      errors_.addAtLine(loop.line, loop.key,
                        "routing loops back on itself: " + path + " (seed 003)");
    }
  }

  struct Phone {
    std::string number;
    int line;
    std::string key;
  };

  ConfigErrors& errors_;
  std::string zoneinfo_dir_;
  RoutingConfig cfg_;
  std::map<std::string, std::shared_ptr<const TimeZone>> zones_;
  std::vector<Reference> refs_;
  std::set<std::string> plain_;                 // receiving numbers defined with number+uri only
  std::map<std::string, std::string> rn_keys_;  // receiving number -> key path that defined it
  std::map<std::string, std::string> keys_;     // "queue sales" -> "queues[0]", for loop errors
  std::map<std::string, const char*> inbound_;  // our numbers -> what they are
  std::vector<Phone> phones_;                   // agents' numbers, checked against our own numbers
  int outbound_line_ = 0;  // first line that asks for outbound calls (needs pstn_gateway)
};

}  // namespace

Result<RoutingConfig> parseRoutingConfig(const std::string& yaml_text, const std::string& file_name,
                                         const std::string& zoneinfo_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    std::string where = file_name;
    if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + 1);
    return Error{ErrorKind::InvalidInput, "YAML syntax: " + e.msg, where};
  }
  ConfigErrors errors(file_name);
  RoutingConfigParser parser(errors, zoneinfo_dir);
  RoutingConfig cfg = parser.parse(root, file_name);
  if (!errors.empty()) return errors.toError();
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : yaml_text) hash = (hash ^ c) * 1099511628211ull;
  cfg.content_hash = hash == 0 ? 1 : hash;
  return cfg;
}

Result<RoutingConfig> loadRoutingConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{ErrorKind::NotFound, "cannot open routing config", path};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parseRoutingConfig(buffer.str(), path);
}

}  // namespace callmesh::router
