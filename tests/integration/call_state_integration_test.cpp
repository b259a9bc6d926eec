// Presence line state and missed-call records against a real redis-server: both must be
// idempotent under at-least-once event delivery.
#include <gtest/gtest.h>

#include "services/agent-presence/presence_ledger.h"
#include "services/notification/missed_call_ledger.h"
#include "shared/base/clock.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/live_calls_reader.h"
#include "shared/testing/redis_server.h"

namespace callmesh {
namespace {

class CallStateIntegration : public ::testing::Test {
 protected:
  testing::RedisServer server_;
  redis::HiredisClient client_{{server_.host(), server_.port(), 1000}};
};

TEST_F(CallStateIntegration, PresenceCountsAnAnsweredCallOnceAndFreesTheAgentAtEnd) {
  agent_presence::PresenceLedger ledger(client_);
  ASSERT_TRUE(ledger.offered("c1", "+15550100", 1).ok());
  EXPECT_EQ(ledger.numberOnCall("+15550100").value(), 1);
  ASSERT_TRUE(ledger.answered("c1", "agent-7", 2).ok());
  ASSERT_TRUE(ledger.answered("c1", "agent-7", 2).ok());  // redelivered event
  EXPECT_EQ(ledger.agentOnCall("agent-7").value(), 1);
  ASSERT_TRUE(ledger.ended("c1", 3).ok());
  ASSERT_TRUE(ledger.ended("c1", 3).ok());  // redelivered event
  EXPECT_EQ(ledger.agentOnCall("agent-7").value(), 0);
  EXPECT_EQ(ledger.numberOnCall("+15550100").value(), 0);
  ASSERT_TRUE(ledger.offered("c1", "+15550100", 1).ok());  // late duplicate after the end
  EXPECT_EQ(ledger.numberOnCall("+15550100").value(), 0);
}

// The admins' live calls (issue 17): who calls, the rule that planned the call, and whose phones
// ring now, as agent-presence's Lua keeps them and the API's reader reads them.
TEST_F(CallStateIntegration, LiveCallsShowCallerRuleAndTheAgentsRingingNow) {
  using Kind = agent_presence::LineEvent::Kind;
  agent_presence::PresenceLedger ledger(client_);
  auto applied = ledger.applyEvents({
      {Kind::Offered, "c1", "+15550200", "", 1, "+15557770000", "company_default_rule"},
      {Kind::LegRinging, "c1", "", "bob", 2, "", ""},
      {Kind::LegRinging, "c1", "", "alice", 2, "", ""},
      {Kind::LegRinging, "c1", "", "carol", 2, "", ""},
      {Kind::LegFailed, "c1", "", "carol", 3, "", ""},
      // A redelivered offer must not rewrite who called.
      {Kind::Offered, "c1", "+15550200", "", 1, "+15550000000", "other_rule"},
  });
  ASSERT_TRUE(applied.ok());
  auto calls = redis::readLiveCalls(client_);
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 1u);
  const auto& c = calls->front();
  EXPECT_EQ(c.call_id, "c1");
  EXPECT_EQ(c.number, "+15550200");
  EXPECT_EQ(c.caller, "+15557770000");
  EXPECT_EQ(c.rule, "company_default_rule");
  EXPECT_EQ(c.state, "offered");
  EXPECT_EQ(c.ringing, (std::vector<std::string>{"alice", "bob"}));
  ASSERT_TRUE(ledger.answered("c1", "alice", 4).ok());
  calls = redis::readLiveCalls(client_);
  ASSERT_TRUE(calls.ok());
  EXPECT_EQ(calls->front().answered_by, "alice");
  EXPECT_EQ(calls->front().ringing, (std::vector<std::string>{"bob"}));
}

// seed 004_ee4e98a6a7f6781b.txt: a missed call becomes one follow-up record.
TEST_F(CallStateIntegration, MissedCallRecordIsCreatedExactlyOnce) {
  notification::MissedCallLedger ledger(client_);
  // Made now: a record older than its retention (notification.retention) expires at once.
  notification::MissedCall call{
      "c9", "+15550100", "+15557770000", {"agent-1", "agent-2"}, SystemClock().nowMs()};
  EXPECT_TRUE(ledger.record(call).value());
  EXPECT_FALSE(ledger.record(call).value());  // redelivered `ended` event
  EXPECT_EQ(ledger.unclaimedCount().value(), 1);
  auto state = client_.command({"HGET", notification::MissedCallLedger::recordKey("c9"), "rung"});
  EXPECT_EQ(state->text, "agent-1,agent-2");
}

}  // namespace
}  // namespace callmesh
