// seed 002's outbound caller-ID state against a real redis-server, keys exactly as
// docs/redis-keys.md lays them out (`cm:outbound:{<e164>}`), routed through the real planner:
// "keep the number used in the previous call to a contact" across projects, and "a different
// number for each contact attempt".
#include <gtest/gtest.h>

#include "services/router/redis_outbound_history.h"
#include "services/router/route_planner.h"
#include "services/router/testing/in_memory_directories.h"
#include "services/router/testing/sequence_random_source.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/testing/manual_clock.h"
#include "shared/testing/redis_server.h"

namespace callmesh::router {
namespace {

constexpr const char* kRouting = R"(pstn_gateway: "gw.example.internal:5060"
projects:
  - id: collections
    numbers: ["+1 212 736 5099"]
    first_call: fixed
    fixed_number: "+1 212 736 5099"
  - id: renewals
    numbers: ["+1 212 736 5000", "+1 312 222 3333", "+1 650 253 0000"]
    first_call: random
    keep_number_with_contact: true
    later_attempts:
      by_outcome: {callback_requested: "+1 650 253 0000"}
      default: different_each_attempt
agents:
  - {id: alice, number: "+1 212 555 0101", outbound_project: collections}
  - {id: bob, number: "+1 212 555 0102", outbound_project: renewals}
)";
constexpr const char* kContact = "+14155550180";

class RedisOutboundHistoryIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cfg = parseRoutingConfig(kRouting, "routing.yaml");
    ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
    config_ = std::move(cfg.value());
  }

  // The caller ID presented when `agent_number` calls the contact.
  std::string callFrom(const char* agent_number, std::vector<size_t> picks = {}) {
    testing::SequenceRandomSource random(std::move(picks));
    RoutePlanner planner(config_, presence_, contacts_, cursors_, history_, random);
    CallQuery q;
    q.call_id = "c1";
    q.dialed = kContact;
    q.caller = agent_number;
    q.received_at_ms = clock_.nowMs();
    RouteOutcome out = planner.decide(q);
    if (out.reject) return "reject " + std::to_string(out.status);
    EXPECT_EQ(out.rule, "outbound_caller_id");
    return out.steps.at(0).targets.at(0).caller_id_number;
  }

  std::string hget(const std::string& field) {
    auto r = writer_.command({"HGET", redis::outbound_keys::callee(kContact), field});
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->text : "";
  }

  callmesh::testing::RedisServer server_;
  redis::HiredisClient writer_{{server_.host(), server_.port(), 1000}};  // plays the dialer/API
  redis::HiredisClient client_{{server_.host(), server_.port(), 250}};   // the router's
  callmesh::testing::ManualClock clock_;
  RedisRetryGate gate_{clock_, 1000};
  prometheus::Registry registry_;
  RouterMetrics metrics_{registry_};
  RedisOutboundHistory history_{client_, gate_, metrics_.outbound_history_errors};
  testing::InMemoryAgentAvailability presence_;
  testing::InMemoryContactDirectory contacts_;
  QueueCursors cursors_;
  RoutingConfig config_;
};

// seed 002_39a4312a6c94260d.txt: "It is possible that a contact may have been called previously
// by another project ... you may want to use the same number used in that project."
TEST_F(RedisOutboundHistoryIntegration, KeepsTheNumberAnotherProjectUsedWithTheContact) {
  EXPECT_EQ(callFrom("+12125550101"), "+12127365099");  // collections: fixed number
  EXPECT_EQ(hget("last_number"), "+12127365099");
  EXPECT_EQ(hget("last_project"), "collections");
  EXPECT_EQ(hget("attempts:collections"), "1");
  // renewals' first call to the contact keeps collections' number, though it is not renewals'.
  EXPECT_EQ(callFrom("+12125550102"), "+12127365099");
  EXPECT_EQ(hget("attempts:renewals"), "1");
  EXPECT_EQ(hget("last_project"), "renewals");
}

// seed 002_39a4312a6c94260d.txt: "Different number for each contact attempt. Each call to a
// contact will use a different outbound number when possible." The state survives between
// decisions in Redis only (a fresh planner and random source each call).
TEST_F(RedisOutboundHistoryIntegration, DifferentNumberForEachAttemptAcrossDecisions) {
  std::set<std::string> seen;
  seen.insert(callFrom("+12125550102", {0}));  // first call: random, index 0
  seen.insert(callFrom("+12125550102", {0}));
  seen.insert(callFrom("+12125550102", {0}));
  EXPECT_EQ(seen, (std::set<std::string>{"+12127365000", "+13122223333", "+16502530000"}));
  EXPECT_EQ(hget("attempts:renewals"), "3");
}

// seed 002_39a4312a6c94260d.txt: "the project's outcomes might decide which number should be
// used for the next call": the dialer/API writes outcome:<project>, the router reads it.
TEST_F(RedisOutboundHistoryIntegration, OutcomeWrittenByTheDialerChoosesTheNextNumber) {
  EXPECT_EQ(callFrom("+12125550102", {0}), "+12127365000");
  ASSERT_TRUE(writer_
                  .command({"HSET", redis::outbound_keys::callee(kContact), "outcome:renewals",
                            "callback_requested"})
                  .ok());
  EXPECT_EQ(callFrom("+12125550102"), "+16502530000");
}

// Redis down: the call still goes out, chosen as a first call; failures are counted.
TEST_F(RedisOutboundHistoryIntegration, RedisDownStillPlacesTheCall) {
  server_.stop();
  EXPECT_EQ(callFrom("+12125550101"), "+12127365099");
  EXPECT_GE(metrics_.outbound_history_errors.unreachable.Value(), 1);
}

}  // namespace
}  // namespace callmesh::router
