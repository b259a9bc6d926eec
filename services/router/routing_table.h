#pragma once

// The routing table's types: what routing.yaml describes once it is read and checked. The parser
// is routing_config.h (loader) and parse_*.cpp (one file per YAML section); the planner reads
// these. Immutable once loaded; a reload builds a new table.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "services/router/schedule.h"
#include "services/router/time_zone.h"

namespace callmesh::router {

// Where a call goes next: the target of a tracking number's `route`, of no-answer routing, of a
// schedule's closed hours, of a geo router's default (seed 000).
struct Destination {
  enum class Kind {
    Hangup,           // end the call; the caller hears busy (486) — seed 000's default
    ReceivingNumber,  // ref = E.164 of a receiving number
    VoiceMenu,        // ref = voice menu id (a media application's SIP URI)
    VirtualAgent,     // ref = virtual agent id (a media application's SIP URI)
    Queue,            // ref = queue id
    GeoRouter,        // ref = geo router id (seed 000's smart router that picks by caller location)
    Agent,            // ref = agent id
  };
  Kind kind = Kind::Hangup;
  std::string ref;
  int line = 0;  // where the config named it, for load-time errors
};

const char* destinationKindName(Destination::Kind kind);

// seed 000: "Forwarding Rules" adjust the caller ID presented on the forwarded leg.
struct CallerIdRule {
  enum class Mode {
    Caller,          // present the caller's own number (default)
    TrackingNumber,  // present the number the caller dialed
    Fixed,           // present `number`
  };
  Mode mode = Mode::Caller;
  std::string number;  // E.164 when Fixed
};

// seed 000: a receiving number's schedule and what happens outside it.
struct ScheduledRouting {
  std::string schedule_id;
  Destination when_closed;  // default: hang up
};

// seed 000: tagging hours and the after-hours call time limit.
struct TaggingHours {
  std::string schedule_id;
  int after_hours_max_duration_s = 0;  // 0 = no limit
};

// A phone the platform forwards to (seed 000: "receiving number").
struct ReceivingNumber {
  std::string number;     // E.164
  std::string uri;        // SIP URI at the gateway or PBX that reaches it
  std::string extension;  // digits, '*', '#', and 'w' = half-second pause, dialled after connect
  int dial_pause_s = 0;   // whole-extension pause before the first digit
  std::string whisper;    // overrides the tracking number's whisper
  bool prevent_recording = false;
  CallerIdRule caller_id;                    // applied only when this number is dialled alone
  std::string agent_id;                      // agent assigned to calls answered here
  std::string source_tag;                    // opaque text for the API
  std::optional<ScheduledRouting> schedule;  // applied only when dialled alone
  std::optional<TaggingHours> tagging_hours;
  std::optional<int> ring_timeout_ms;    // default: the caller's context (45 s)
  std::optional<Destination> no_answer;  // applied only when dialled alone; default hang up
  int line = 0;

  // What the gateway dials after connect: two 'w' per second of dial pause, then the extension.
  std::string extensionDigits() const;
};

// A place with a time zone; schedules, agents and company numbers name one.
struct Location {
  std::string id;
  std::shared_ptr<const TimeZone> zone;
};

// Someone who answers calls (queues, CRM users, company-number users).
struct Agent {
  std::string id;
  std::string number;  // E.164; may be empty when the agent has only a SIP URI
  std::string uri;     // where to ring; empty = the agent has no phone (seed 001)
  std::shared_ptr<const TimeZone> zone;
  std::optional<WeeklyHours> working_hours;  // absent = always working
  // seed 002: "you can assign an outbound number to that agent": the caller ID their outbound
  // calls present when their project lets the agent's number override its own. E.164; "" = none.
  std::string outbound_number;
  std::string outbound_project;  // project their outbound calls belong to; "" = none
  // Other projects the agent's device may name (X-Callmesh-Project) besides outbound_project
  // (issue 16: a device naming any other project is refused, 403).
  std::vector<std::string> outbound_projects;
  int line = 0;

  bool mayCallFor(const std::string& project) const;

  bool hasPhone() const { return !uri.empty(); }
};

// A media application the call can be handed to (seed 000: voice menu, virtual agent).
struct MediaApplication {
  std::string id;
  std::string uri;
};

// seed 000: queues ring their agents by a strategy, skipping those presence says are away.
enum class QueueStrategy { RingAll, RoundRobin, LongestIdle };
const char* queueStrategyName(QueueStrategy s);

struct Queue {
  std::string id;
  QueueStrategy strategy = QueueStrategy::RingAll;
  std::vector<std::string> agent_ids;
  int ring_timeout_ms = 45000;  // per step: the whole group for ring-all, each agent otherwise
  std::optional<Destination> no_answer;
  int line = 0;
};

// seed 000: picks a receiving number by caller ZIP, else caller area code, else a default.
struct GeoRouter {
  std::string id;
  std::map<std::string, std::string> by_zip;                   // ZIP -> receiving number
  std::vector<std::pair<std::string, std::string>> by_prefix;  // "+1212" -> receiving number
  Destination fallback;                                        // default: hang up
  int line = 0;
};

// A published number callers dial (seed 000: "tracking number").
enum class RingOrder { Together, InOrder };

struct TrackingNumber {
  std::string number;                          // E.164
  std::vector<std::string> receiving_numbers;  // E.164 keys of RoutingConfig::receiving_numbers
  std::optional<Destination> route;            // instead of receiving_numbers
  RingOrder ring_order = RingOrder::Together;
  int ring_timeout_ms = 45000;  // seed 000: default no-answer timeout 45 s
  std::string whisper;
  std::optional<Destination> no_answer;  // after every receiving number failed
  int line = 0;
};

// seed 001: a CRM's callback number: lead owner's phone, else forwarding number, else company
// phone.
struct CrmNumber {
  std::string number;
  std::string forwarding_number;  // receiving number; empty = none set up
  std::string company_phone;      // receiving number; empty = none set up
  int ring_timeout_ms = 45000;
  int line = 0;
};

// seed 004: how calls from unknown callers to a company number are routed.
struct UnknownCallerRoute {
  enum class Kind { Blast, User, Number };
  Kind kind = Kind::User;
  std::vector<std::string> agent_ids;  // Blast: up to 5; User: exactly 1
  std::string number;                  // Number: a receiving number (bridge number)
  int line = 0;
};

struct CompanyRule {
  std::string name;
  WeeklyHours active_hours;  // in the company number's time zone
  UnknownCallerRoute route;
  int line = 0;
};

struct CompanyNumber {
  std::string number;
  std::shared_ptr<const TimeZone> zone;
  std::string source;  // seed 004: source for contacts created from its calls (RingPlan.sourceTag)
  int ring_timeout_ms = 45000;
  std::vector<CompanyRule> rules;  // custom rules, tried in order before the default
  UnknownCallerRoute default_route;
  int line = 0;
};

// seed 002: how a project picks the caller ID of its outbound calls.
enum class FirstCallNumber {
  Fixed,     // always OutboundProject::fixed_number
  Random,    // any of the project's numbers
  Regional,  // a landline callee gets a number of its area (else region), anyone else: random
};
enum class LaterCallNumber {
  Random,
  DifferentEachAttempt,  // a number this project has not yet used with the contact, when possible
  Regional,
};
const char* firstCallNumberName(FirstCallNumber f);
const char* laterCallNumberName(LaterCallNumber l);

// One of a project's outbound numbers, with where it is (read once at load: libphonenumber is slow
// enough to matter per call).
struct OutboundNumber {
  std::string number;       // E.164
  std::string region_code;  // libphonenumber region ("US", "GB"); "ZZ" when unknown
  std::string area_code;    // "+1212", "+44161"; "" when the number has no geographic area code
};

// seed 002: a dialer project's "Number selection logic".
// Where a project's agents may call (issue 16, toll fraud): absent = anywhere, no cap.
struct DestinationPolicy {
  std::set<int> allowed_country_codes;        // E.164 country calling codes; empty = any
  std::vector<std::string> blocked_prefixes;  // "+1900": E.164 prefixes never called
  int max_attempts_per_agent_per_minute = 0;  // 0 = no cap
};

struct OutboundProject {
  std::string id;
  std::vector<OutboundNumber> numbers;  // at least one; the project's outbound numbers
  FirstCallNumber first_call = FirstCallNumber::Random;
  std::string fixed_number;  // E.164, one of `numbers`, when first_call is Fixed
  // "Keep the number used in the previous call to a contact" (by any project).
  bool keep_number_with_contact = false;
  // "the project's outcomes might decide which number should be used for the next call":
  // outcome name -> number. A number the project no longer has falls back to `later_default`.
  std::map<std::string, std::string> by_outcome;
  LaterCallNumber later_default = LaterCallNumber::Random;
  // "If agent has an outbound number configured": true = use agent number, false = project's.
  bool agent_number_overrides = false;
  int ring_timeout_ms = 45000;
  // This project's calls go out here instead of the top-level pstn_gateway: host[:port], or the
  // name of an ingress gateway set (issue 21); "" = the top-level one.
  std::string pstn_gateway;
  DestinationPolicy destinations;
  int line = 0;

  bool hasNumber(const std::string& e164) const;
};

// Limits from seed 004.
inline constexpr size_t kMaxBlastAgents = 5;
inline constexpr size_t kMaxCompanyRules = 10;

// The routing data the router decides from (routing.yaml). Immutable once loaded; a reload builds
// a new one.
struct RoutingConfig {
  std::string source_file;
  // FNV-1a of the file's bytes, never 0: the same file gives the same value in every router
  // replica, so an ingress can tell whether a decision it kept still matches the routers' config.
  uint64_t content_hash = 0;
  // The versioned document's number when loaded from Redis (routing_source: redis), else 0. It is
  // then the config epoch: a new version, even one with an old text (a rollback), is a new epoch.
  uint64_t document_version = 0;
  std::string pstn_gateway;  // host[:port] that reaches any E.164 number; "" = none
  std::map<std::string, Location> locations;
  std::map<std::string, Schedule> schedules;
  std::map<std::string, Agent> agents;
  std::map<std::string, ReceivingNumber> receiving_numbers;  // by E.164
  std::map<std::string, MediaApplication> voice_menus;
  std::map<std::string, MediaApplication> virtual_agents;
  std::map<std::string, Queue> queues;
  std::map<std::string, GeoRouter> geo_routers;
  std::map<std::string, TrackingNumber> tracking_numbers;  // by E.164
  std::map<std::string, CrmNumber> crm_numbers;            // by E.164
  std::map<std::string, CompanyNumber> company_numbers;    // by E.164
  std::map<std::string, OutboundProject> projects;         // seed 002, by id
  // Who is calling out: agents by id, by phone number and by outbound number (E.164).
  std::map<std::string, std::string> agents_by_number;
  // Every outbound number we present: all projects' numbers and agents' outbound numbers.
  std::set<std::string> outbound_numbers;
  // Caps the concurrency-limiter applies at run time over cluster.yaml's (issue 20; the router
  // only checks them): simultaneous calls per number (E.164) and per limiter account id.
  std::map<std::string, int> number_caps;
  std::map<std::string, int> account_caps;
};

}  // namespace callmesh::router
