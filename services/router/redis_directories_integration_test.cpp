// The router's presence and contact lookups against a real redis-server, keys exactly as
// docs/redis-keys.md lays them out, routed through the real planner.
#include <gtest/gtest.h>

#include "services/router/redis_agent_availability.h"
#include "services/router/redis_contact_directory.h"
#include "services/router/route_planner.h"
#include "shared/redis/hiredis_client.h"
#include "shared/testing/manual_clock.h"
#include "shared/testing/redis_server.h"

namespace callmesh::router {
namespace {

// seed 004_ee4e98a6a7f6781b.txt: a company number whose unknown callers are blasted to three
// agents; known callers go to their contact's primary agent.
constexpr const char* kRouting = R"(locations:
  - {id: nyc, time_zone: America/New_York}
agents:
  - {id: alice, uri: "sip:alice@127.0.0.1:5081"}
  - {id: bob, uri: "sip:bob@127.0.0.1:5082"}
  - {id: carol, uri: "sip:carol@127.0.0.1:5083"}
company_numbers:
  - number: "+18005550200"
    location: nyc
    unknown_callers:
      default: {blast: [alice, bob, carol]}
)";
constexpr const char* kCaller = "+19175550142";

class RedisDirectoriesIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cfg = parseRoutingConfig(kRouting, "routing.yaml");
    ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
    config_ = std::move(cfg.value());
  }

  // Ring targets of the first step, "alice,bob", or the rejection.
  std::string decide() {
    NoOutboundHistory outbound;
    SystemRandomSource random;
    RoutePlanner planner(config_, presence_, contacts_, cursors_, outbound, random);
    CallQuery q;
    q.call_id = "c1";
    q.dialed = "+18005550200";
    q.caller = kCaller;
    q.received_at_ms = clock_.nowMs();
    RouteOutcome out = planner.decide(q);
    if (out.reject) return "reject " + std::to_string(out.status);
    std::string s = out.rule + ":";
    for (size_t i = 0; i < out.steps.front().targets.size(); ++i) {
      s += (i ? "," : "") + out.steps.front().targets[i].agent_id;
    }
    return s;
  }

  void redis(std::vector<std::string> argv) {
    auto r = writer_.command(argv);
    if (!r.ok()) r = writer_.command(argv);  // the first command after a restart reconnects
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_NE(r->type, redis::RedisReply::Type::Error) << r->text;
  }

  callmesh::testing::RedisServer server_;
  redis::HiredisClient writer_{{server_.host(), server_.port(), 1000}};  // plays presence / CRM
  redis::HiredisClient client_{{server_.host(), server_.port(), 250}};   // the router's
  callmesh::testing::ManualClock clock_;
  RedisRetryGate gate_{clock_, 1000};
  prometheus::Registry registry_;
  RouterMetrics metrics_{registry_};
  RedisAgentAvailability presence_{client_, gate_, metrics_.presence_errors};
  RedisContactDirectory contacts_{client_, gate_, metrics_.contact_errors};
  QueueCursors cursors_;
  RoutingConfig config_;
};

// seed 004_ee4e98a6a7f6781b.txt: "skip busy, unavailable" agents in a blast. Redis is read on
// every decision, so a presence change is routed on by the very next call (no cache, no delay).
TEST_F(RedisDirectoriesIntegration, PresenceChangesAreSeenByTheNextDecision) {
  EXPECT_EQ(decide(), "company_default_rule:alice,bob,carol");  // no hashes yet: all available
  redis({"HSET", "cm:agent:{bob}", "availability", "away", "changed_at_ms", "1"});
  EXPECT_EQ(decide(), "company_default_rule:alice,carol");
  redis({"HINCRBY", "cm:agent:{carol}", "on_call", "1"});  // as agent-presence counts an answer
  EXPECT_EQ(decide(), "company_default_rule:alice");
  redis({"HINCRBY", "cm:agent:{alice}", "ringing", "1"});
  EXPECT_EQ(decide(), "reject 480");  // nobody left to ring
  redis({"HSET", "cm:agent:{bob}", "availability", "available"});
  redis({"HINCRBY", "cm:agent:{carol}", "on_call", "-1"});
  EXPECT_EQ(decide(), "company_default_rule:bob,carol");
  for (const char* dnd : {"offline", "dnd"}) {
    redis({"HSET", "cm:agent:{bob}", "availability", dnd});
    EXPECT_EQ(decide(), "company_default_rule:carol") << dnd;
  }
  EXPECT_EQ(metrics_.presence_errors.unreachable.Value(), 0);
  EXPECT_EQ(metrics_.presence_errors.bad_data.Value(), 0);
}

TEST_F(RedisDirectoriesIntegration, IdleSinceIsRead) {
  redis({"HSET", "cm:agent:{alice}", "idle_since_ms", "1700000000123", "on_call", "0"});
  AgentStatus s = presence_.status("alice");
  EXPECT_EQ(s.presence, AgentPresence::Available);
  EXPECT_EQ(s.idle_since_ms, 1700000000123);
}

// seed 004_ee4e98a6a7f6781b.txt: existing contact -> primary agent; duplicates with different
// agents -> the owner of the newest contact.
TEST_F(RedisDirectoriesIntegration, KnownCallerRingsTheNewestContactsPrimaryAgent) {
  redis({"HSET", "cm:contact:{c1}", "id", "c1", "name", "Ann", "numbers", kCaller, "primary_agent",
         "bob", "created_at_ms", "1000"});
  redis({"SADD", std::string("cm:contacts:number:{") + kCaller + "}", "c1"});
  EXPECT_EQ(decide(), "company_contact:bob");
  redis({"HSET", "cm:contact:{c2}", "id", "c2", "numbers", std::string(kCaller) + ",+12125550101",
         "primary_agent", "carol", "created_at_ms", "2000"});
  redis({"SADD", std::string("cm:contacts:number:{") + kCaller + "}", "c2", "deleted-c3"});
  auto found = contacts_.contactsWithNumber(kCaller);
  ASSERT_TRUE(found.ok()) << found.error().describe();
  EXPECT_EQ(found->size(), 2u);  // deleted-c3 has no hash
  EXPECT_EQ(decide(), "company_contact:carol");
  EXPECT_EQ(metrics_.contact_errors.unreachable.Value(), 0);
}

TEST_F(RedisDirectoriesIntegration, WrongTypesAreCountedAndFailOpen) {
  redis({"SET", "cm:agent:{alice}", "not a hash"});
  redis({"SET", std::string("cm:contacts:number:{") + kCaller + "}", "not a set"});
  EXPECT_EQ(decide(), "company_default_rule:alice,bob,carol");
  EXPECT_EQ(metrics_.presence_errors.bad_data.Value(), 1);
  EXPECT_EQ(metrics_.contact_errors.bad_data.Value(), 1);
}

// agent_availability.h / contact_directory.h: presence unreachable -> available; contacts
// unreachable -> unknown caller. Calls keep ringing someone while Redis is down.
TEST_F(RedisDirectoriesIntegration, RedisDownRoutesAsAvailableAndUnknownThenHeals) {
  redis({"HSET", "cm:agent:{bob}", "availability", "away"});
  redis({"HSET", "cm:contact:{c1}", "id", "c1", "primary_agent", "carol", "created_at_ms", "1"});
  redis({"SADD", std::string("cm:contacts:number:{") + kCaller + "}", "c1"});
  EXPECT_EQ(decide(), "company_contact:carol");

  server_.stop();
  // Contacts fail first (the caller is unknown), then the gate is shut: presence is not asked.
  EXPECT_EQ(decide(), "company_default_rule:alice,bob,carol");
  EXPECT_EQ(metrics_.contact_errors.unreachable.Value(), 1);
  EXPECT_EQ(metrics_.presence_errors.unreachable.Value(), 3);

  server_.start();                                              // empty again: no persistence
  EXPECT_EQ(decide(), "company_default_rule:alice,bob,carol");  // gate still shut
  EXPECT_EQ(metrics_.presence_errors.unreachable.Value(), 6);
  clock_.advance(1000);
  redis({"HSET", "cm:agent:{bob}", "availability", "away"});
  EXPECT_EQ(decide(), "company_default_rule:alice,carol");  // reconnected
  EXPECT_EQ(metrics_.contact_errors.unreachable.Value(), 2);
}

}  // namespace
}  // namespace callmesh::router
