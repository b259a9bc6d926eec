// seed 002_39a4312a6c94260d.txt through routing.yaml and the planner: the `projects:` section,
// the agents' outbound settings, and how an agent's call to a number that is not ours is planned.
#include <gtest/gtest.h>

#include "services/router/route_planner.h"
#include "services/router/routing_config.h"
#include "services/router/testing/in_memory_directories.h"
#include "services/router/testing/in_memory_outbound_history.h"
#include "services/router/testing/sequence_random_source.h"

namespace callmesh::router {
namespace {

constexpr const char* kRouting = R"(pstn_gateway: "gw.example.internal:5060"
projects:
  - id: renewals
    numbers: ["(212) 736-5000", "+1 312 222 3333", "+44 20 7946 0018"]
    first_call: regional
    keep_number_with_contact: true
    later_attempts:
      by_outcome: {callback_requested: "+1 312 222 3333"}
      default: different_each_attempt
    agent_number_overrides: false
    ring_timeout_s: 30
  - id: collections
    numbers: ["+1 212 736 5099"]
    first_call: fixed
    fixed_number: "+1 212 736 5099"
    agent_number_overrides: true
    pstn_gateway: carriers-b
agents:
  - {id: alice, number: "+1 212 555 0101", outbound_number: "+1 212 736 5050", outbound_project: renewals}
  - {id: bob, number: "+1 212 555 0102", outbound_number: "+1 212 736 5051", outbound_project: collections,
     outbound_projects: [renewals]}
  - {id: carol, number: "+1 212 555 0103"}
tracking_numbers:
  - {number: "+1 800 555 0001", receiving_numbers: ["+1 212 555 0150"]}
)";

const RoutingConfig& outboundConfig() {
  static const RoutingConfig cfg = [] {
    auto loaded = parseRoutingConfig(kRouting, "routing.yaml");
    EXPECT_TRUE(loaded.ok()) << loaded.error().describe();
    return loaded.ok() ? std::move(loaded.value()) : RoutingConfig{};
  }();
  return cfg;
}

std::string errorsOf(const std::string& yaml) {
  auto cfg = parseRoutingConfig(yaml, "routing.yaml");
  return cfg.ok() ? "ok" : cfg.error().message;
}

TEST(OutboundRoutingConfig, ParsesProjectsAndAgentsOutboundSettings) {
  const RoutingConfig& cfg = outboundConfig();
  ASSERT_EQ(cfg.projects.count("renewals"), 1u);
  const OutboundProject& p = cfg.projects.at("renewals");
  ASSERT_EQ(p.numbers.size(), 3u);
  EXPECT_EQ(p.numbers[0].number, "+12127365000");  // normalised with libphonenumber
  EXPECT_EQ(p.numbers[0].area_code, "+1212");
  EXPECT_EQ(p.numbers[0].region_code, "US");
  EXPECT_EQ(p.numbers[2].area_code, "+4420");
  EXPECT_EQ(p.numbers[2].region_code, "GB");
  EXPECT_EQ(p.first_call, FirstCallNumber::Regional);
  EXPECT_TRUE(p.keep_number_with_contact);
  EXPECT_EQ(p.later_default, LaterCallNumber::DifferentEachAttempt);
  EXPECT_EQ(p.by_outcome.at("callback_requested"), "+13122223333");
  EXPECT_FALSE(p.agent_number_overrides);
  EXPECT_EQ(p.ring_timeout_ms, 30000);
  const OutboundProject& c = cfg.projects.at("collections");
  EXPECT_EQ(c.first_call, FirstCallNumber::Fixed);
  EXPECT_EQ(c.fixed_number, "+12127365099");
  EXPECT_EQ(c.later_default, LaterCallNumber::Random);  // default
  EXPECT_EQ(c.ring_timeout_ms, 45000);
  EXPECT_EQ(cfg.agents.at("alice").outbound_number, "+12127365050");
  EXPECT_EQ(cfg.agents.at("alice").outbound_project, "renewals");
  EXPECT_EQ(cfg.agents_by_number.at("+12125550101"), "alice");
  EXPECT_EQ(cfg.agents_by_number.at("+12127365050"), "alice");
  EXPECT_EQ(cfg.outbound_numbers.count("+12127365099"), 1u);
  EXPECT_EQ(cfg.outbound_numbers.count("+12127365051"), 1u);  // bob's own outbound number
}

TEST(OutboundRoutingConfig, RejectsEveryMistakeWithLineAndKey) {
  std::string errors = errorsOf(R"(pstn_gateway: "gw:5060"
projects:
  - id: renewals
    numbers: ["+1 212 736 5000", "+1 212 736 5000", "not a number"]
    first_call: sometimes
    later_attempts:
      default: whenever
      by_outcome: {callback_requested: "soon"}
      colour: blue
  - id: collections
    numbers: ["+1 212 736 5099"]
    first_call: fixed
  - id: sales
    numbers: ["+1 212 736 5098"]
    first_call: fixed
    fixed_number: "+1 212 736 5000"
  - id: "bad:id"
    numbers: ["+1 212 736 5097"]
  - id: support
agents:
  - {id: alice, number: "+1 212 555 0101", outbound_project: marketing}
)");
  for (const char* expected : {
           "routing.yaml:4: projects[0].numbers[1]: +12127365000 is listed twice",
           "routing.yaml:4: projects[0].numbers[2]: 'not a number' is not a phone number",
           "routing.yaml:5: projects[0].first_call: must be fixed, random or regional",
           "routing.yaml:7: projects[0].later_attempts.default: must be random, "
           "different_each_attempt or regional",
           "routing.yaml:8: projects[0].later_attempts.by_outcome.callback_requested: 'soon' is "
           "not a phone number",
           "routing.yaml:9: projects[0].later_attempts.colour: unknown key",
           "projects[1].fixed_number: is required with first_call: fixed",
           "routing.yaml:16: projects[2].fixed_number: +12127365000 is not one of the project's "
           "numbers",
           "projects[3].id: 'bad:id' may hold only letters, digits",
           "projects[4].numbers: must list at least one outbound number (seed 002)",
           "routing.yaml:21: agents[0].outbound_project: no project 'marketing' in projects",
       }) {
    EXPECT_NE(errors.find(expected), std::string::npos) << expected << "\nin:\n" << errors;
  }
}

TEST(OutboundRoutingConfig, OutboundCallsNeedThePstnGateway) {
  EXPECT_EQ(errorsOf(R"(projects:
  - {id: renewals, numbers: ["+1 212 736 5000"]}
)"),
            "routing.yaml:2: pstn_gateway: is required for outbound calls (projects, agents' "
            "outbound_project)");
}

TEST(OutboundRoutingConfig, AgentsCallingOutMustNotShareANumber) {
  std::string errors = errorsOf(R"(pstn_gateway: "gw:5060"
projects:
  - {id: renewals, numbers: ["+1 212 736 5000"]}
agents:
  - {id: alice, number: "+1 212 555 0101", outbound_project: renewals}
  - {id: bob, number: "+1 212 555 0101"}
)");
  EXPECT_NE(errors.find("routing.yaml:6: agents[1].number: +12125550101 is also agent 'alice''s "
                        "number"),
            std::string::npos)
      << errors;
  // Agents who never call out may share a desk phone, as before.
  EXPECT_EQ(errorsOf(R"(pstn_gateway: "gw:5060"
agents:
  - {id: alice, number: "+1 212 555 0101"}
  - {id: bob, number: "+1 212 555 0101"}
)"),
            "ok");
}

struct World {
  testing::InMemoryAgentAvailability presence;
  testing::InMemoryContactDirectory contacts;
  QueueCursors cursors;
  testing::InMemoryOutboundHistory history;
  testing::SequenceRandomSource random;
  RoutePlanner planner{outboundConfig(), presence, contacts, cursors, history, random};

  RouteOutcome call(const std::string& caller, const std::string& dialed, std::string project = "",
                    std::string outcome = "") {
    CallQuery q;
    q.call_id = "c1";
    q.caller = caller;
    q.dialed = dialed;
    q.project = std::move(project);
    q.last_outcome = std::move(outcome);
    q.received_at_ms = 1'700'000'000'000;
    return planner.decide(q);
  }
};

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "\n  " + l;
  return out;
}

// seed 002_39a4312a6c94260d.txt: an agent's call to a number that is not ours goes out through
// the PSTN gateway with the project's caller ID; here regionally random for a New York landline.
TEST(OutboundRouting, AgentCallingAnExternalNumberRingsItThroughTheGateway) {
  World w;
  RouteOutcome out = w.call("+12125550101", "(212) 736-0000");
  ASSERT_FALSE(out.reject) << joined(out.trace);
  EXPECT_EQ(out.rule, "outbound_caller_id");
  EXPECT_EQ(out.caller_id_source, "regional");
  ASSERT_EQ(out.steps.size(), 1u);
  EXPECT_EQ(out.steps[0].timeout_ms, 30000);
  ASSERT_EQ(out.steps[0].targets.size(), 1u);
  const PlannedTarget& t = out.steps[0].targets[0];
  EXPECT_EQ(t.uri, "sip:+12127360000@gw.example.internal:5060");
  EXPECT_EQ(t.number, "+12127360000");
  EXPECT_EQ(t.caller_id_number, "+12127365000");
  EXPECT_EQ(t.agent_id, "");       // the callee is no agent
  EXPECT_EQ(out.final_status, 0);  // the callee's own answer (busy, declined) reaches the agent
  // Remembered for the next call (keep number / attempts).
  EXPECT_EQ(w.history.contact("+12127360000").last_number, "+12127365000");
  EXPECT_EQ(w.history.contact("+12127360000").by_project.at("renewals").attempts, 1);
  EXPECT_NE(joined(out.trace).find("caller is agent alice: outbound call"), std::string::npos)
      << joined(out.trace);
}

// issue 21: a project that names its own gateway set sends its calls through it (the ingress
// expands `carriers-b` to that set's gateways); the others use the top-level pstn_gateway.
TEST(OutboundRouting, AProjectsOwnGatewaySetCarriesItsCalls) {
  World w;
  RouteOutcome out = w.call("+12125550102", "(212) 736-0000");  // bob: collections
  ASSERT_FALSE(out.reject) << joined(out.trace);
  ASSERT_EQ(out.steps.size(), 1u);
  ASSERT_EQ(out.steps[0].targets.size(), 1u);
  EXPECT_EQ(out.steps[0].targets[0].uri, "sip:+12127360000@carriers-b");
  EXPECT_EQ(errorsOf(R"(pstn_gateway: "gw:5060"
projects:
  - {id: p, numbers: ["+1 212 736 5099"], pstn_gateway: "sip:x@y"}
)"),
            "routing.yaml:3: projects[0].pstn_gateway: must be host[:port] or a gateway set name");
}

// The agent's device may call as its SIP identity (From: sip:alice@...) or its outbound number.
TEST(OutboundRouting, AgentIsKnownByIdNumberOrOutboundNumber) {
  for (const char* caller : {"alice", "+12125550101", "2125550101", "+12127365050"}) {
    World w;
    RouteOutcome out = w.call(caller, "+14155550180");
    EXPECT_EQ(out.rule, "outbound_caller_id") << caller << joined(out.trace);
  }
}

// A stranger dialing a number that is not ours is still a 404: only agents call out.
TEST(OutboundRouting, NonAgentCallerToAnUnknownNumberIsStillNotFound) {
  World w;
  RouteOutcome out = w.call("+19175550142", "+14155550180");
  ASSERT_TRUE(out.reject);
  EXPECT_EQ(out.status, 404);
  EXPECT_EQ(out.rule, "unknown_number");
}

// An agent calling one of our own numbers is an inbound call to it, not an outbound call.
TEST(OutboundRouting, AgentCallingOurTrackingNumberIsInbound) {
  World w;
  RouteOutcome out = w.call("+12125550101", "+18005550001");
  EXPECT_EQ(out.rule, "direct_forward") << joined(out.trace);
}

TEST(OutboundRouting, AgentWithoutAProjectIsForbidden) {
  World w;
  RouteOutcome out = w.call("+12125550103", "+14155550180");
  ASSERT_TRUE(out.reject);
  EXPECT_EQ(out.status, 403);
  EXPECT_EQ(out.reason, "Forbidden (agent carol has no outbound project)");
  EXPECT_EQ(out.rule, "outbound_no_project");
  // Naming an unknown project is refused too, rather than calling with the wrong caller ID.
  out = w.call("+12125550101", "+14155550180", "marketing");
  EXPECT_EQ(out.status, 403);
  EXPECT_EQ(out.reason, "Forbidden (no outbound project 'marketing')");
}

// seed 002_39a4312a6c94260d.txt: "Use agent number" (collections) vs "Use project number"
// (renewals); the device may name the project the call is for.
TEST(OutboundRouting, AgentNumberOverridesOnlyWhereTheProjectSaysSo) {
  World w;
  EXPECT_EQ(w.call("bob", "+14155550180").steps.at(0).targets.at(0).caller_id_number,
            "+12127365051");  // collections: agent number overrides
  World v;
  RouteOutcome out = v.call("bob", "+14155550180", "renewals");
  EXPECT_NE(out.steps.at(0).targets.at(0).caller_id_number, "+12127365051") << joined(out.trace);
  EXPECT_NE(joined(out.trace).find("project renewals (named by the call)"), std::string::npos);
}

// seed 002_39a4312a6c94260d.txt: keep the number across projects; then later attempts go by the
// outcome the dialer reports with the call, else a different number each attempt.
TEST(OutboundRouting, KeepNumberThenOutcomeThenDifferentEachAttempt) {
  World w;
  // collections calls first; bob's number overrides there.
  EXPECT_EQ(w.call("bob", "+14155550180").steps[0].targets[0].caller_id_number, "+12127365051");
  // renewals' first call to the same contact keeps that number (keep_number_with_contact).
  RouteOutcome kept = w.call("alice", "+14155550180");
  EXPECT_EQ(kept.steps[0].targets[0].caller_id_number, "+12127365051") << joined(kept.trace);
  EXPECT_EQ(kept.caller_id_source, "kept");
  // Second attempt: the outcome chooses Chicago.
  RouteOutcome by_outcome = w.call("alice", "+14155550180", "", "callback_requested");
  EXPECT_EQ(by_outcome.steps[0].targets[0].caller_id_number, "+13122223333");
  EXPECT_EQ(by_outcome.caller_id_source, "outcome");
  // Third: no outcome; a number not yet used by renewals with the contact.
  RouteOutcome different = w.call("alice", "+14155550180");
  EXPECT_EQ(different.caller_id_source, "different_each_attempt");
  EXPECT_NE(different.steps[0].targets[0].caller_id_number, "+13122223333")
      << joined(different.trace);
}

// Redis down: the call is placed anyway, chosen as a first call, and the trace says why.
TEST(OutboundRouting, HistoryUnavailableStillPlacesTheCall) {
  World w;
  w.history.failWith("connect failed");
  RouteOutcome out = w.call("alice", "+12127360000");
  ASSERT_FALSE(out.reject);
  EXPECT_EQ(out.steps[0].targets[0].caller_id_number, "+12127365000");
  EXPECT_NE(joined(out.trace).find("unavailable (treated as a first call)"), std::string::npos);
  EXPECT_NE(joined(out.trace).find("caller ID not remembered"), std::string::npos);
}

}  // namespace
}  // namespace callmesh::router
