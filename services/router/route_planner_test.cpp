#include "services/router/route_planner.h"

#include <gtest/gtest.h>

#include <functional>

#include "services/router/phone_number.h"
#include "services/router/testing/in_memory_directories.h"
#include "shared/codec/follow_up_scope.h"

namespace callmesh::router {
namespace {

using testing::InMemoryAgentAvailability;
using testing::InMemoryContactDirectory;

const RoutingConfig& everyRule() {
  static const RoutingConfig cfg = [] {
    auto loaded =
        loadRoutingConfig(std::string(CALLMESH_ROUTING_TEST_DATA) + "/good/every_rule.yaml");
    EXPECT_TRUE(loaded.ok()) << loaded.error().describe();
    return loaded.ok() ? std::move(loaded.value()) : RoutingConfig{};
  }();
  return cfg;
}

int64_t at(const char* rfc3339) {
  auto ms = parseRfc3339(rfc3339);
  EXPECT_TRUE(ms.ok()) << rfc3339;
  return ms.ok() ? ms.value() : 0;
}

// Instants used below, with their New York wall-clock reading.
constexpr const char* kMonday10 = "2026-11-23T15:00:00Z";      // Mon 10:00 EST: office open
constexpr const char* kSunday10 = "2026-11-22T15:00:00Z";      // Sun 10:00 EST: closed
constexpr const char* kThanksgiving = "2026-11-26T15:00:00Z";  // Thu 10:00 EST: holiday
constexpr const char* kMonday1730 = "2026-11-23T22:30:00Z";    // Mon 17:30 EST, 22:30 London
constexpr const char* kMonday1830 = "2026-11-23T23:30:00Z";    // Mon 18:30 EST
constexpr const char* kCaller = "+1 917 555 0142";
constexpr const char* kCallerE164 = "+19175550142";

// "20s:+12125550150 | 15s:+12125550101,+12125550102 => 486" or "reject 482": the shape of a
// decision in one line, so a table row states the whole expected plan.
std::string summarize(const RouteOutcome& out) {
  if (out.reject) return "reject " + std::to_string(out.status);
  std::string s;
  for (const auto& step : out.steps) {
    if (!s.empty()) s += " | ";
    s += std::to_string(step.timeout_ms / 1000) + "s:";
    for (size_t i = 0; i < step.targets.size(); ++i) {
      const auto& t = step.targets[i];
      s += (i ? "," : "") + (t.number.empty() ? t.uri : t.number);
    }
  }
  return s + " => " + std::to_string(out.final_status);
}

struct World {
  InMemoryAgentAvailability presence;
  InMemoryContactDirectory contacts;
  QueueCursors cursors;
  NoOutboundHistory outbound;
  SystemRandomSource random;
  RoutePlanner planner{everyRule(), presence, contacts, cursors, outbound, random};
};

CallQuery call(const std::string& dialed, const char* when, std::string caller = kCaller,
               std::string zip = "") {
  CallQuery q;
  q.call_id = "c1";
  q.dialed = dialed;
  q.caller = std::move(caller);
  q.caller_zip = std::move(zip);
  q.received_at_ms = at(when);
  return q;
}

struct PlanCase {
  const char* seed_rule;  // seed file and the rule the row proves
  CallQuery query;
  std::function<void(World&)> setup;
  std::string rule;
  std::string plan;
};

void runTable(const std::vector<PlanCase>& cases) {
  for (const auto& c : cases) {
    World w;
    if (c.setup) c.setup(w);
    RouteOutcome out = w.planner.decide(c.query);
    std::string trace;
    for (const auto& t : out.trace) trace += "\n  " + t;
    EXPECT_EQ(summarize(out), c.plan) << c.seed_rule << trace;
    EXPECT_EQ(out.rule, c.rule) << c.seed_rule;
    EXPECT_FALSE(out.trace.empty()) << c.seed_rule << ": every decision carries a trace";
  }
}

// seed 000_246ae9c7ee9a1def.txt: a tracking number forwards to one or more receiving numbers,
// rung together (one step) or in order (one step each); default ring timeout 45 s; default
// no-answer routing hangup/busy (486).
TEST(RoutePlanner, Seed000TrackingNumberForwarding) {
  runTable({
      {"000: one receiving number, then its no-answer chain: queue sales (round-robin), then the "
       "queue's fallback number",
       call("+18005550001", kMonday10), nullptr, "direct_forward",
       "20s:+12125550150 | 15s:+12125550101 | 15s:+12125550102 | 15s:+12125550103 | "
       "45s:+12125550161 => 486"},
      {"000: several receiving numbers rung together, tracking ring timeout 25 s, hangup",
       call("+18005550002", kMonday10), nullptr, "direct_forward",
       "25s:+12125550150,+12125550160 => 486"},
      {"000: rung in order, own no-answer of 0160 ignored, then tracking no-answer queue ring_all",
       call("+18005550003", kMonday10), nullptr, "forward_in_order",
       "45s:+12125550160 | 45s:+12125550161 | 45s:+12125550101,+12125550102,+12125550103 => 486"},
      {"000: original direct-forward format keeps working, default timeout 45 s",
       call("+1 (800) 555-0006", kMonday10), nullptr, "direct_forward", "45s:+16465550199 => 486"},
      {"000: no-answer routing to a virtual agent (media application URI)",
       call("+18005550007", kMonday10), nullptr, "direct_forward",
       "45s:+12125550160 | 45s:sip:va-night@media.example.internal => 486"},
      {"unknown dialed number", call("+18005559999", kMonday10), nullptr, "unknown_number",
       "reject 404"},
      {"unparseable dialed number", call("alice", kMonday10), nullptr, "unparseable", "reject 404"},
  });
}

// seed 000_246ae9c7ee9a1def.txt: scheduled routing in the location's time zone, with holidays and
// daylight-saving changes (America/New_York 2026-03-08 and 2026-11-01); not applied when the
// tracking number rings several receiving numbers.
TEST(RoutePlanner, Seed000ScheduledRouting) {
  const std::string open_plan =
      "20s:+12125550150 | 15s:+12125550101 | 15s:+12125550102 | 15s:+12125550103 | "
      "45s:+12125550161 => 486";
  const std::string closed_plan = "45s:sip:menu-main@media.example.internal => 486";
  runTable({
      {"000: inside office hours", call("+18005550001", kMonday10), nullptr, "direct_forward",
       open_plan},
      {"000: Sunday: outside the schedule -> voice menu", call("+18005550001", kSunday10), nullptr,
       "direct_forward", closed_plan},
      {"000: holiday 2026-11-26 -> voice menu", call("+18005550001", kThanksgiving), nullptr,
       "direct_forward", closed_plan},
      {"000: Fri 2026-03-06 13:30Z is 08:30 EST: closed",
       call("+18005550001", "2026-03-06T13:30:00Z"), nullptr, "direct_forward", closed_plan},
      {"000: Mon 2026-03-09 13:30Z is 09:30 EDT (after 2026-03-08): open",
       call("+18005550001", "2026-03-09T13:30:00Z"), nullptr, "direct_forward", open_plan},
      {"000: Fri 2026-10-30 13:30Z is 09:30 EDT: open",
       call("+18005550001", "2026-10-30T13:30:00Z"), nullptr, "direct_forward", open_plan},
      {"000: Mon 2026-11-02 13:30Z is 08:30 EST (after 2026-11-01): closed",
       call("+18005550001", "2026-11-02T13:30:00Z"), nullptr, "direct_forward", closed_plan},
      {"000: Mon 2026-11-02 14:00Z is 09:00 EST: open",
       call("+18005550001", "2026-11-02T14:00:00Z"), nullptr, "direct_forward", open_plan},
      {"000: several receiving numbers: the schedule does not apply on Sunday",
       call("+18005550002", kSunday10), nullptr, "direct_forward",
       "25s:+12125550150,+12125550160 => 486"},
  });
}

// seed 000_246ae9c7ee9a1def.txt: geo router by caller ZIP, else area code prefix, else default.
TEST(RoutePlanner, Seed000GeoRouter) {
  runTable({
      {"000: ZIP 10001 -> New York", call("+18005550004", kMonday10, kCaller, "10001"), nullptr,
       "route_geo_router", "45s:+12125550170 => 486"},
      {"000: ZIP+4 94105-1234 -> San Francisco",
       call("+18005550004", kMonday10, "+12125550100", "94105-1234"), nullptr, "route_geo_router",
       "45s:+14155550180 => 486"},
      {"000: unlisted ZIP, caller area code 646 -> New York",
       call("+18005550004", kMonday10, "+1 646 555 0100", "99999"), nullptr, "route_geo_router",
       "45s:+12125550170 => 486"},
      {"000: no ZIP, caller +1415555... longest prefix -> San Francisco",
       call("+18005550004", kMonday10, "+14155550123"), nullptr, "route_geo_router",
       "45s:+14155550180 => 486"},
      {"000: nothing matches -> default", call("+18005550004", kMonday10, "+13125550100"), nullptr,
       "route_geo_router", "45s:+13125550190 => 486"},
      {"000: anonymous caller without ZIP -> default", call("+18005550004", kMonday10, "anonymous"),
       nullptr, "route_geo_router", "45s:+13125550190 => 486"},
  });
}

// seed 000_246ae9c7ee9a1def.txt: queues ring their agents by strategy, skipping agents presence
// says are not available, then take the queue's own no-answer routing.
TEST(RoutePlanner, Seed000Queues) {
  runTable({
      {"000: longest-idle orders by idle time", call("+18005550005", kMonday10),
       [](World& w) {
         w.presence.set("alice", AgentPresence::Available, 3000);
         w.presence.set("bob", AgentPresence::Available, 1000);
         w.presence.set("carol", AgentPresence::Available, 2000);
       },
       "route_queue", "45s:+12125550102 | 45s:+12125550103 | 45s:+12125550101 => 486"},
      {"000: busy and unavailable agents are skipped", call("+18005550005", kMonday10),
       [](World& w) {
         w.presence.set("alice", AgentPresence::Busy);
         w.presence.set("carol", AgentPresence::Unavailable);
       },
       "route_queue", "45s:+12125550102 => 486"},
      {"000: agents outside working hours are skipped (alice works 08-18 New York)",
       call("+18005550005", kSunday10), nullptr, "route_queue",
       "45s:+12125550102 | 45s:+12125550103 => 486"},
      {"000: nobody available and no fallback: 480", call("+18005550005", kMonday10),
       [](World& w) {
         for (const char* id : {"alice", "bob", "carol"}) w.presence.set(id, AgentPresence::Busy);
       },
       "route_queue", "reject 480"},
      {"000: round-robin queue with nobody available falls to its no-answer number",
       call("+18005550001", kMonday10),
       [](World& w) {
         for (const char* id : {"alice", "bob", "carol"}) w.presence.set(id, AgentPresence::Busy);
       },
       "direct_forward", "20s:+12125550150 | 45s:+12125550161 => 486"},
  });
}

// seed 000_246ae9c7ee9a1def.txt: round-robin state advances one agent per call.
TEST(RoutePlanner, Seed000RoundRobinAdvancesPerCall) {
  World w;
  std::vector<std::string> first_agent;
  for (int i = 0; i < 4; ++i) {
    RouteOutcome out = w.planner.decide(call("+18005550001", kMonday10));
    ASSERT_GE(out.steps.size(), 2u);
    first_agent.push_back(out.steps[1].targets.at(0).agent_id);
  }
  EXPECT_EQ(first_agent, (std::vector<std::string>{"alice", "bob", "carol", "alice"}));
}

// seed 000_246ae9c7ee9a1def.txt: receiving-number options reach the ring target: extension with
// w pauses and dial pause, whisper override, prevent recording, caller-ID rule (only when
// forwarding to one number), agent assignment, source tag.
TEST(RoutePlanner, Seed000ReceivingNumberOptions) {
  World w;
  RouteOutcome alone = w.planner.decide(call("+18005550001", kMonday10));
  ASSERT_FALSE(alone.reject);
  const PlannedTarget& desk = alone.steps.at(0).targets.at(0);
  EXPECT_EQ(desk.uri, "sip:frontdesk@pbx.example.internal");
  EXPECT_EQ(desk.extension_digits, "ww3ww1928");  // 1 s dial pause = two half-second waits
  EXPECT_EQ(desk.whisper, "front-desk-whisper");  // overrides "campaign-whisper"
  EXPECT_TRUE(desk.prevent_recording);
  EXPECT_EQ(desk.caller_id_number, "+18005550001");  // caller_id: tracking_number
  EXPECT_EQ(desk.agent_id, "bob");
  EXPECT_EQ(desk.source_tag, "desk-7");
  EXPECT_EQ(alone.source_tag, "desk-7");
  EXPECT_EQ(alone.number, "+18005550001");
  // Agents rung from the queue take the tracking number's whisper, and no caller-ID rule.
  EXPECT_EQ(alone.steps.at(1).targets.at(0).whisper, "campaign-whisper");
  EXPECT_EQ(alone.steps.at(4).targets.at(0).uri, "sip:+12125550161@gw.example.internal:5060");

  RouteOutcome together = w.planner.decide(call("+18005550002", kMonday10));
  ASSERT_EQ(together.steps.size(), 1u);
  const PlannedTarget& desk2 = together.steps[0].targets.at(0);
  const PlannedTarget& sales = together.steps[0].targets.at(1);
  EXPECT_EQ(desk2.caller_id_number, "");  // two numbers: the caller-ID rule does not apply
  EXPECT_EQ(desk2.whisper, "front-desk-whisper");
  EXPECT_EQ(sales.whisper, "campaign-two");
  EXPECT_FALSE(sales.prevent_recording);
  bool noted = false;
  for (const auto& t : together.trace) {
    noted = noted || t.find("caller-ID rule not applied") != std::string::npos;
  }
  EXPECT_TRUE(noted);
}

// seed 000_246ae9c7ee9a1def.txt: tagging hours: outside them the after-hours limit sets the
// maximum call duration.
TEST(RoutePlanner, Seed000AfterHoursMaximumDuration) {
  struct Row {
    const char* when;
    int max_duration_s;
  } rows[] = {{kMonday10, 0}, {kSunday10, 120}, {kThanksgiving, 120}};
  for (const auto& row : rows) {
    World w;
    RouteOutcome out = w.planner.decide(call("+18005550002", row.when));
    EXPECT_EQ(out.max_duration_s, row.max_duration_s) << row.when;
  }
}

// seed 003_7e7aa9d90d570bcd.txt: a call whose path already holds the dialed number is looping
// (the published line forwards back to us): reject 482 instead of ringing forever.
TEST(RoutePlanner, Seed003LoopOnPathIsRejected482) {
  struct Row {
    std::vector<std::string> path;
    std::string plan;
  } rows[] = {
      {{"(800) 555-0001"}, "reject 482"},
      {{"+12125550150", "+1 800 555 0001"}, "reject 482"},
      {{"+18005550002"},
       "20s:+12125550150 | 15s:+12125550101 | 15s:+12125550102 | "
       "15s:+12125550103 | 45s:+12125550161 => 486"},
  };
  for (const auto& row : rows) {
    World w;
    CallQuery q = call("+18005550001", kMonday10);
    q.path = row.path;
    RouteOutcome out = w.planner.decide(q);
    EXPECT_EQ(summarize(out), row.plan);
    if (out.reject) {
      EXPECT_EQ(out.rule, "loop_detected");
    }
  }
}

// seed 001_3054dfaf04b44f8c.txt: lead assigned to a user with a phone -> that phone; otherwise the
// forwarding number; otherwise the company phone.
TEST(RoutePlanner, Seed001CrmInboundChain) {
  auto lead = [](const char* agent) {
    return [agent](World& w) { w.contacts.add(kCallerE164, Contact{"lead-1", agent, 1}); };
  };
  runTable({
      {"001: lead assigned to alice, who has a phone", call("+18005550100", kMonday10),
       lead("alice"), "crm_lead_owner", "45s:+12125550101 => 486"},
      {"001: lead assigned to erin, who has no phone -> forwarding number",
       call("+18005550100", kMonday10), lead("erin"), "crm_forwarding_number",
       "45s:+12125550161 => 486"},
      {"001: lead not assigned -> forwarding number", call("+18005550100", kMonday10), lead(""),
       "crm_forwarding_number", "45s:+12125550161 => 486"},
      {"001: unknown caller -> forwarding number", call("+18005550100", kMonday10), nullptr,
       "crm_forwarding_number", "45s:+12125550161 => 486"},
      {"001: no forwarding number -> company phone", call("+18005550101", kMonday10), lead(""),
       "crm_company_phone", "45s:+13125550190 => 486"},
      {"001: nothing set up -> 480", call("+18005550102", kMonday10), nullptr, "crm_nowhere",
       "reject 480"},
  });
}

// seed 004_ee4e98a6a7f6781b.txt: company numbers: existing contacts go to their primary agent;
// unknown callers follow custom rules by active hours before the default (a specific user).
TEST(RoutePlanner, Seed004CompanyNumber) {
  runTable({
      {"004: existing contact -> primary agent bob", call("+18005550200", kMonday10),
       [](World& w) {
         w.contacts.add(kCallerE164, Contact{"c1", "bob", 1});
       },
       "company_contact", "30s:+12125550102 => 486"},
      {"004: unknown caller, no custom rule active -> default user carol",
       call("+18005550200", kMonday10), nullptr, "company_default_rule", "30s:+12125550103 => 486"},
      {"004: evenings rule: blast to available agents; dave is outside London hours",
       call("+18005550200", kMonday1730), nullptr, "company_custom_rule",
       "30s:+12125550101,+12125550102,+12125550103 => 486"},
      {"004: evenings rule at 18:30: alice's working hours are over",
       call("+18005550200", kMonday1830), nullptr, "company_custom_rule",
       "30s:+12125550102,+12125550103 => 486"},
      {"004: blast skips busy and unavailable agents", call("+18005550200", kMonday1730),
       [](World& w) {
         w.presence.set("bob", AgentPresence::Busy);
         w.presence.set("carol", AgentPresence::Unavailable);
       },
       "company_custom_rule", "30s:+12125550101 => 486"},
      {"004: blast with nobody available falls to the default rule",
       call("+18005550200", kMonday1830),
       [](World& w) {
         w.presence.set("bob", AgentPresence::Busy);
         w.presence.set("carol", AgentPresence::Busy);
       },
       "company_default_rule", "30s:+12125550103 => 486"},
      {"004: weekends rule -> another number", call("+18005550200", kSunday10), nullptr,
       "company_custom_rule", "30s:+12125550161 => 486"},
      {"004: contact store unreachable -> routed as unknown", call("+18005550200", kMonday10),
       [](World& w) { w.contacts.failWith("redis down"); }, "company_default_rule",
       "30s:+12125550103 => 486"},
  });
}

// seed 004_ee4e98a6a7f6781b.txt / issue 20: the rules the planner gives company numbers (the table
// above) are the ones that ask the notification service for follow-up records, and no other rule
// this planner produces does (a plain tracking number's missed call has nobody to claim it).
TEST(RoutePlanner, Seed004OnlyCompanyNumberRulesAskForFollowUp) {
  for (const char* rule : {"company_contact", "company_default_rule", "company_custom_rule"}) {
    EXPECT_TRUE(codec::ruleAsksForFollowUp(rule)) << rule;
  }
  for (const char* rule :
       {"direct_forward", "forward_in_order", "crm_lead_owner", "crm_forwarding_number",
        "crm_company_phone", "outbound_caller_id", "route_geo_router", ""}) {
    EXPECT_FALSE(codec::ruleAsksForFollowUp(rule)) << rule;
  }
}

// seed 004_ee4e98a6a7f6781b.txt: duplicate phone numbers: same primary agent -> timeline on every
// contact; different agents -> the newest contact's agent, timeline on that contact only.
TEST(RoutePlanner, Seed004DuplicateContactsTimeline) {
  struct Row {
    const char* name;
    std::vector<Contact> contacts;
    std::string agent;
    std::vector<std::string> timeline;
  } rows[] = {
      {"one contact", {{"c1", "bob", 10}}, "bob", {"c1"}},
      {"same agent on all", {{"c1", "bob", 10}, {"c2", "bob", 20}}, "bob", {"c1", "c2"}},
      {"different agents: newest wins",
       {{"c1", "bob", 30}, {"c2", "alice", 20}, {"c3", "carol", 10}},
       "bob",
       {"c1"}},
  };
  for (const auto& row : rows) {
    World w;
    for (const auto& c : row.contacts) w.contacts.add(kCallerE164, c);
    RouteOutcome out = w.planner.decide(call("+18005550200", kMonday10));
    ASSERT_EQ(out.steps.size(), 1u) << row.name;
    EXPECT_EQ(out.steps[0].targets.at(0).agent_id, row.agent) << row.name;
    EXPECT_EQ(out.timeline_contact_ids, row.timeline) << row.name;
    EXPECT_EQ(out.source_tag, "Company line") << row.name;
  }
}

// The planner takes a dialed number that is already one of ours as its own E.164 form without
// parsing it (the benchmark's hot spot). That is exact only if toE164 maps its own output to
// itself; check it for every inbound number the loader produced.
TEST(RoutePlanner, InboundNumbersAreTheirOwnNormalForm) {
  std::vector<std::string> numbers;
  for (const auto& [n, _] : everyRule().tracking_numbers) numbers.push_back(n);
  for (const auto& [n, _] : everyRule().company_numbers) numbers.push_back(n);
  for (const auto& [n, _] : everyRule().crm_numbers) numbers.push_back(n);
  ASSERT_GE(numbers.size(), 5u);
  for (const auto& n : numbers) {
    auto again = toE164(n);
    ASSERT_TRUE(again.ok()) << n;
    EXPECT_EQ(again.value(), n);
  }
  // A number written another way still goes through libphonenumber and lands on the same rule.
  World w;
  EXPECT_EQ(w.planner.decide(call("(800) 555-0001", kMonday10)).number, "+18005550001");
}

}  // namespace
}  // namespace callmesh::router

namespace callmesh::router {
namespace {

// Everything a ring plan tells the ingress, so two decisions can be compared whole.
std::string everyDetail(const RouteOutcome& out) {
  std::string s = summarize(out) + " rule=" + out.rule + " number=" + out.number +
                  " final=" + out.final_reason + " max=" + std::to_string(out.max_duration_s) +
                  " tag=" + out.source_tag + " reason=" + out.reason;
  for (const auto& step : out.steps) {
    for (const auto& t : step.targets) {
      s += " [" + t.uri + " " + t.number + " " + t.agent_id + " " + t.extension_digits + " " +
           t.caller_id_number + " " + t.whisper + " " + (t.prevent_recording ? "norec" : "rec") +
           "]";
    }
  }
  return s;
}

// The dialled texts of every_rule.yaml, one per kind of rule, plus texts that are not ours.
const std::vector<std::string>& everyDialledNumber() {
  static const std::vector<std::string> numbers = [] {
    std::vector<std::string> all;
    for (const auto& [n, _] : everyRule().tracking_numbers) all.push_back(n);
    for (const auto& [n, _] : everyRule().company_numbers) all.push_back(n);
    for (const auto& [n, _] : everyRule().crm_numbers) all.push_back(n);
    all.insert(all.end(), {"+1 (800) 555-0006", "+18005559999", "+16465550100", "alice"});
    return all;
  }();
  return numbers;
}

// Other calls to the same number: other callers (unknown, known with an owner, an agent, a
// withheld number), ZIPs, instants (open, closed, holiday, evening) and presence.
struct OtherCall {
  std::string caller;
  std::string zip;
  const char* when;
  bool everyone_busy;
  bool caller_is_a_lead;
};
const std::vector<OtherCall> kOtherCalls = {
    {kCaller, "", kSunday10, false, false},
    {kCaller, "94105", kThanksgiving, true, true},
    {"+14155550123", "10001", kMonday1830, false, false},
    {"alice", "", kMonday1730, false, false},
    {"+1 212 555 0102", "", kMonday10, true, false},
    {"anonymous", "", kMonday10, false, true},
};

// Reuse by the ingress (RouteDecision.reusableForMs) rests on this: a decision the planner says
// read nothing of the call is the decision every other call to that dialled text gets, whoever
// calls, from wherever, whenever, whoever is busy.
TEST(RoutePlanner, ADecisionThatReadNothingOfTheCallIsTheSameForEveryCaller) {
  int reusable = 0;
  for (const auto& dialed : everyDialledNumber()) {
    World first;
    RouteOutcome out = first.planner.decide(call(dialed, kMonday10));
    if (out.depends_on_call) continue;
    ++reusable;
    for (const auto& other : kOtherCalls) {
      World w;
      if (other.everyone_busy) {
        for (const auto& [id, _] : everyRule().agents) w.presence.set(id, AgentPresence::Busy);
      }
      if (other.caller_is_a_lead) w.contacts.add(kCallerE164, Contact{"lead-1", "bob", 1});
      RouteOutcome again = w.planner.decide(call(dialed, other.when, other.caller, other.zip));
      EXPECT_EQ(everyDetail(again), everyDetail(out)) << dialed << " called by " << other.caller;
      EXPECT_FALSE(again.depends_on_call) << dialed;
    }
  }
  EXPECT_GE(reusable, 2) << "some rules must depend on the number alone";
}

// seed 000 / 001 / 002 / 003 / 004: what each rule reads, so what the ingress may not reuse.
TEST(RoutePlanner, RulesThatReadTheCallAreNeverReusable) {
  struct Row {
    const char* why;
    CallQuery query;
    bool depends;
  };
  CallQuery looped = call("+18005550006", kMonday10);
  looped.path = {"+18005550099"};
  const std::vector<Row> rows = {
      {"000: direct forward without schedule", call("+18005550006", kMonday10), false},
      {"000: receiving number with a schedule reads the clock", call("+18005550001", kMonday10),
       true},
      {"000: geo router reads the caller and ZIP", call("+18005550004", kMonday10), true},
      {"000: queue reads presence and the rotation", call("+18005550005", kMonday10), true},
      {"001: CRM number reads the lead's owner", call("+18005550100", kMonday10), true},
      {"002: a number not ours asks whether the caller is an agent calling out",
       call("+16465550100", kMonday10), true},
      {"003: a call with a path was loop-checked against it", looped, true},
      {"004: company number reads contacts and active hours", call("+18005550200", kMonday10),
       true},
      {"a dialled text that is no number", call("alice", kMonday10), false},
  };
  for (const auto& row : rows) {
    World w;
    EXPECT_EQ(w.planner.decide(row.query).depends_on_call, row.depends) << row.why;
  }
}

}  // namespace
}  // namespace callmesh::router
