// Issue 16 (toll fraud): an agent's outbound call needs an authenticated device, a project the
// agent may call for, a destination the project allows and a pace under its cap.
#include "services/router/outbound_policy.h"

#include <gtest/gtest.h>

#include "services/router/route_planner.h"
#include "services/router/routing_config.h"
#include "services/router/testing/in_memory_directories.h"
#include "services/router/testing/in_memory_outbound_history.h"
#include "services/router/testing/sequence_random_source.h"

namespace callmesh::router {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

constexpr const char* kRouting = R"(pstn_gateway: "gw.example.internal:5060"
projects:
  - id: collections
    numbers: ["+1 212 736 5099"]
    destinations:
      allowed_country_codes: [1, "+44"]
      blocked_prefixes: ["+1900", "+1976"]
      max_attempts_per_agent_per_minute: 3
  - id: bank_collections
    numbers: ["+1 212 736 5088"]
  - id: renewals
    numbers: ["+1 212 736 5000"]
agents:
  - {id: alice, number: "+1 212 555 0101", outbound_project: collections}
  - {id: bob, number: "+1 212 555 0102", outbound_project: collections, outbound_projects: [renewals]}
)";

const RoutingConfig& policyConfig() {
  static const RoutingConfig cfg = [] {
    auto loaded = parseRoutingConfig(kRouting, "routing.yaml");
    EXPECT_TRUE(loaded.ok()) << loaded.error().describe();
    return loaded.ok() ? std::move(loaded.value()) : RoutingConfig{};
  }();
  return cfg;
}

struct World {
  testing::InMemoryAgentAvailability presence;
  testing::InMemoryContactDirectory contacts;
  QueueCursors cursors;
  testing::InMemoryOutboundHistory history;
  testing::SequenceRandomSource random;
  OutboundAttempts attempts;
  RoutePlanner planner{policyConfig(), presence, contacts, cursors, history, random, &attempts};

  // A device whose From is `caller`, authenticated as `agent` ("" = not authenticated), with
  // authentication required as the router service requires it.
  RouteOutcome call(const std::string& caller, const std::string& agent, const std::string& dialed,
                    const std::string& project = "", int64_t at = kT0) {
    CallQuery q;
    q.call_id = "c1";
    q.caller = caller;
    q.dialed = dialed;
    q.project = project;
    q.received_at_ms = at;
    q.authenticated_agent = agent;
    q.require_agent_auth = true;
    return planner.decide(q);
  }
};

// The reported toll fraud: alice's id, no credentials, another project, a premium-rate number.
TEST(OutboundPolicy, AnUnauthenticatedAgentDeviceIsChallengedNotRouted) {
  World w;
  RouteOutcome out = w.call("alice", "", "+19005550100", "bank_collections");
  ASSERT_TRUE(out.reject);
  EXPECT_EQ(out.status, 407);
  EXPECT_EQ(out.rule, "outbound_auth_required");
  EXPECT_EQ(out.outbound_refusal, "auth_required");
  EXPECT_TRUE(out.steps.empty());
  EXPECT_TRUE(out.depends_on_call);  // never reused for the next caller
  // By the agent's number too.
  EXPECT_EQ(w.call("+12125550101", "", "+14155550180").status, 407);
}

TEST(OutboundPolicy, TheAuthenticatedIdentityWinsOverTheFrom) {
  World w;
  // From claims bob, the device proved alice: alice's call (her project, her pace).
  RouteOutcome out = w.call("bob", "alice", "+14155550180");
  ASSERT_FALSE(out.reject) << out.reason;
  EXPECT_NE(out.trace.at(0).find("agent alice"), std::string::npos);
  // Authenticated as someone routing.yaml does not know: not an agent's call (404 like anyone).
  EXPECT_EQ(w.call("alice", "mallory", "+14155550180").status, 404);
}

TEST(OutboundPolicy, OnlyTheAgentsOwnOrAllowedProjects) {
  World w;
  RouteOutcome out = w.call("alice", "alice", "+14155550180", "bank_collections");
  ASSERT_TRUE(out.reject);
  EXPECT_EQ(out.status, 403);
  EXPECT_EQ(out.reason, "Forbidden (agent alice may not call for project bank_collections)");
  EXPECT_EQ(out.outbound_refusal, "project_not_allowed");
  EXPECT_FALSE(w.call("bob", "bob", "+14155550180", "renewals").reject);
  EXPECT_FALSE(w.call("bob", "bob", "+14155550180", "collections").reject);
  EXPECT_EQ(w.call("bob", "bob", "+14155550180", "nonesuch").outbound_refusal, "no_project");
}

TEST(OutboundPolicy, BlockedPrefixesAndCountriesAreRefused) {
  World w;
  RouteOutcome premium = w.call("alice", "alice", "+19005550100");
  ASSERT_TRUE(premium.reject);
  EXPECT_EQ(premium.status, 403);
  EXPECT_EQ(premium.reason, "Forbidden (+19005550100 starts with blocked prefix +1900)");
  EXPECT_EQ(premium.outbound_refusal, "blocked_prefix");
  RouteOutcome paris = w.call("alice", "alice", "+33142685300");
  EXPECT_EQ(paris.outbound_refusal, "country_not_allowed");
  EXPECT_EQ(paris.reason, "Forbidden (country code +33 of +33142685300 is not allowed)");
  EXPECT_FALSE(w.call("alice", "alice", "+442079460099").reject);  // +44 allowed
  // A project without destinations: anywhere (renewals, named by bob).
  EXPECT_FALSE(w.call("bob", "bob", "+33142685300", "renewals").reject);
}

TEST(OutboundPolicy, AttemptsPerAgentPerMinuteAreCapped) {
  World w;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(w.call("alice", "alice", "+14155550180", "", kT0 + i * 1000).reject) << i;
  }
  RouteOutcome fourth = w.call("alice", "alice", "+14155550180", "", kT0 + 3000);
  ASSERT_TRUE(fourth.reject);
  EXPECT_EQ(fourth.status, 403);
  EXPECT_EQ(fourth.outbound_refusal, "rate_limited");
  EXPECT_FALSE(w.call("bob", "bob", "+14155550180", "", kT0 + 3000).reject);  // per agent
  // A minute after the first attempt, one more.
  EXPECT_FALSE(w.call("alice", "alice", "+14155550180", "", kT0 + 60'000).reject);
}

TEST(OutboundPolicy, AttemptWindowSlides) {
  OutboundAttempts a;
  EXPECT_TRUE(a.admit("x", 1, 0));
  EXPECT_FALSE(a.admit("x", 1, 59'999));
  EXPECT_TRUE(a.admit("x", 1, 60'000));
  EXPECT_TRUE(a.admit("x", 0, 60'001));  // no cap
}

TEST(OutboundPolicy, ConfigErrorsNameTheKey) {
  auto cfg = parseRoutingConfig(R"(pstn_gateway: "gw:5060"
projects:
  - id: p
    numbers: ["+1 212 736 5099"]
    destinations:
      allowed_country_codes: [0, abc]
      blocked_prefixes: ["1900"]
      colour: red
agents:
  - {id: a, outbound_project: p, outbound_projects: [nope]}
)",
                                "routing.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& e = cfg.error().message;
  EXPECT_NE(e.find("routing.yaml:6: projects[0].destinations.allowed_country_codes[0]: '0' is not "
                   "a country calling code"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("allowed_country_codes[1]: 'abc'"), std::string::npos) << e;
  EXPECT_NE(e.find("blocked_prefixes: '1900' must be + and digits"), std::string::npos) << e;
  EXPECT_NE(e.find("destinations.colour: unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("nope"), std::string::npos) << e;
}

}  // namespace
}  // namespace callmesh::router
