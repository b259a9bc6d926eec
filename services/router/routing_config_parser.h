#pragma once

// The routing.yaml parser's state, shared by the files that read one section each. Internal to
// the loader (routing_config.cpp); nothing outside services/router/parse_*.cpp,
// resolve_references.cpp and check_loops.cpp includes it.
//
//   routing_config.cpp          top level: sections in order, then references, then loops
//   parse_schedules.cpp         locations, schedules (seed 000)
//   parse_agents.cpp            agents
//   parse_outbound.cpp          projects: outbound caller ID (seed 002)
//   parse_numbers.cpp           receiving, tracking (seed 000) and CRM (seed 001) numbers
//   parse_destinations.cpp      voice menus, virtual agents, queues, geo routers (seed 000)
//   parse_company_numbers.cpp   company numbers (seed 004)
//   resolve_references.cpp      every name refers to something defined
//   check_loops.cpp             seed 003: nothing we ring comes back to us
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "services/router/routing_graph.h"
#include "services/router/routing_table.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::router {

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

// Reads one routing.yaml into a RoutingConfig, recording every mistake in `errors` (one pass
// reports them all). Used once per file, on one thread.
class RoutingConfigParser {
 public:
  RoutingConfigParser(config::ConfigErrors& errors, std::string zoneinfo_dir)
      : errors_(errors), zoneinfo_dir_(std::move(zoneinfo_dir)) {}

  RoutingConfig parse(const YAML::Node& root, const std::string& file_name);

 private:
  using YamlMap = config::YamlMap;

  struct Phone {
    std::string number;
    int line;
    std::string key;
  };

  // Shared readers (routing_config.cpp).
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

  void refer(Reference::Kind kind, std::string ref, int line, std::string key);
  std::optional<Destination> destination(YamlMap& m, const char* key);
  std::shared_ptr<const TimeZone> zone(const std::string& name, YamlMap& m, const char* key);
  std::shared_ptr<const TimeZone> locationZone(YamlMap& m, bool required);
  int timeoutMs(YamlMap& m, int fallback_ms);
  std::string gatewayUri(const std::string& e164) const;
  static int lineOf(YamlMap& m, const char* key);
  bool claimInbound(YamlMap& m, const std::string& number, const char* what);

  // One section each (parse_*.cpp).
  void parseLocation(YamlMap& m);
  void parseSchedule(YamlMap& m);
  void parseAgent(YamlMap& m);
  void parseProject(YamlMap& m);
  void parseDestinationPolicy(YamlMap& project, DestinationPolicy& out);  // parse_outbound_policy
  void parseAgentProjects(YamlMap& m, Agent& a);                          // parse_outbound_policy
  void checkOutboundReachable(YamlMap& top);
  void parseMediaApp(YamlMap& m, std::map<std::string, MediaApplication>& into);
  void parseReceivingNumberDefinition(YamlMap& m);
  void parseScheduledRouting(YamlMap& m, ReceivingNumber& rn);
  void parseTaggingHours(YamlMap& m, ReceivingNumber& rn);
  std::string receivingNumberEntry(const YAML::Node& node, const std::string& path);
  void parseQueue(YamlMap& m);
  void parseGeoRouter(YamlMap& m);
  void parseTrackingNumber(YamlMap& m);
  void parseCrmNumber(YamlMap& m);
  UnknownCallerRoute unknownCallerRoute(const YAML::Node& node, const std::string& path);
  void parseCompanyNumber(YamlMap& m);
  // parse_caps.cpp: the limiter's caps at run time (issue 20), checked here, used there.
  void parseNumberCap(YamlMap& m);
  void parseAccountCap(YamlMap& m);

  // Once every section is known (resolve_references.cpp, check_loops.cpp).
  bool destinationExists(Destination::Kind kind, const std::string& ref) const;
  void resolveReferences();
  void resolveReceivingNumber(const std::string& e164, int line, const std::string& key);
  static std::string node(Destination::Kind kind, const std::string& ref);
  void addDestinationEdge(RoutingGraph& g, const std::string& from,
                          const std::optional<Destination>& d, const std::string& key);
  void checkLoops();

  config::ConfigErrors& errors_;
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

}  // namespace callmesh::router
