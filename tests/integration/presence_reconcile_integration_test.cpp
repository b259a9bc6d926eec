// Presence's reconcile against a real redis-server, with the slots taken by the real limiter
// ledger: a live call keeps its agent on the call however the limiter keys its slot (issue 15:
// reconcile read `cm:{<number>}:slots` only, found no lease for a number under an account-wide
// cap, and after its grace ended those live calls, so their agents looked idle and were rung
// again). A call whose lease is really gone is still ended.
#include <gtest/gtest.h>

#include "services/agent-presence/presence_ledger.h"
#include "services/agent-presence/presence_reconcile.h"
#include "services/concurrency-limiter/cap_policy.h"
#include "services/concurrency-limiter/slot_ledger.h"
#include "shared/config/cluster_config.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/redis/slot_lease_reader.h"
#include "shared/testing/redis_server.h"

namespace callmesh::agent_presence {
namespace {

constexpr const char* kAccountNumber = "+15550400";  // under account acme's cap
constexpr const char* kPlainNumber = "+15550499";    // no account
constexpr int64_t kOfferedAtMs = 1000;
constexpr int64_t kGraceMs = 60000;
constexpr int64_t kPastTheGraceMs = kOfferedAtMs + kGraceMs + 1;

// One cluster config's limiter section, as both the limiter and presence are given it.
config::LimiterSettings limiterSettings() {
  config::LimiterSettings limiter;
  limiter.lease_ms = 30000;
  limiter.accounts["acme"] = {10, {kAccountNumber, "+15550401"}};
  return limiter;
}

class PresenceReconcileIntegration : public ::testing::Test {
 protected:
  // A call offered at kOfferedAtMs and answered by `agent`; with `slot`, its ingress took a slot
  // from the limiter (which keys it by the number's account).
  void answeredCall(const std::string& call_id, const std::string& number, const std::string& agent,
                    bool slot) {
    ASSERT_TRUE(ledger_.offered(call_id, number, kOfferedAtMs).ok());
    ASSERT_TRUE(ledger_.answered(call_id, agent, kOfferedAtMs + 1).ok());
    if (slot) {
      auto granted = slots_.acquire(number, call_id);
      ASSERT_TRUE(granted.ok()) << granted.error().describe();
      ASSERT_TRUE(granted->granted);
    }
  }
  std::string state(const std::string& call_id) {
    return client_.command({"HGET", redis::presence_keys::call(call_id), "state"})->text;
  }

  testing::RedisServer server_;
  redis::HiredisClient client_{{server_.host(), server_.port(), 2000}};
  config::LimiterSettings limiter_ = limiterSettings();
  concurrency_limiter::CapPolicy caps_ = concurrency_limiter::CapPolicy::fromSettings(limiter_);
  concurrency_limiter::SlotLedger slots_{client_, caps_, limiter_.lease_ms};
  PresenceLedger ledger_{client_};
  redis::SlotLeaseReader leases_{client_, redis::SlotKeys::fromConfig(limiter_)};
  PresenceReconciler reconciler_{client_, ledger_, leases_};
};

TEST_F(PresenceReconcileIntegration, KeepsALiveCallToAnAccountCappedNumberPastTheGrace) {
  answeredCall("acct-live", kAccountNumber, "alice", /*slot=*/true);
  // The lease is where the limiter keeps an account's numbers, not under the number's own tag.
  ASSERT_EQ(client_.command({"EXISTS", "cm:{acct:acme}:slots:+15550400"})->integer, 1);
  ASSERT_EQ(client_.command({"EXISTS", "cm:{+15550400}:slots"})->integer, 0);

  for (auto scope : {ReconcileScope::AllRecords, ReconcileScope::LiveSets}) {
    auto report = reconciler_.run(kPastTheGraceMs, kGraceMs, scope);
    ASSERT_TRUE(report.ok()) << report.error().describe();
    EXPECT_EQ(report->live_calls, 1);
    EXPECT_EQ(report->stale_calls_ended, 0);
  }
  EXPECT_EQ(state("acct-live"), "answered");
  EXPECT_EQ(ledger_.agentOnCall("alice").value(), 1);  // not idle: not rung again
  EXPECT_EQ(ledger_.numberOnCall(kAccountNumber).value(), 1);
}

TEST_F(PresenceReconcileIntegration, EndsCallsWhoseLeaseIsGoneWithOrWithoutAnAccount) {
  answeredCall("acct-live", kAccountNumber, "alice", /*slot=*/true);
  answeredCall("acct-released", kAccountNumber, "bob", /*slot=*/true);
  answeredCall("plain-live", kPlainNumber, "carol", /*slot=*/true);
  answeredCall("plain-dead", kPlainNumber, "dave", /*slot=*/false);  // its ingress died
  // The limiter freed this one's slot but its `ended` event was lost.
  ASSERT_TRUE(slots_.release(kAccountNumber, "acct-released").value());

  auto report = reconciler_.run(kPastTheGraceMs, kGraceMs, ReconcileScope::AllRecords);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->live_calls, 2);
  EXPECT_EQ(report->stale_calls_ended, 2);
  EXPECT_EQ(state("acct-live"), "answered");
  EXPECT_EQ(state("plain-live"), "answered");
  EXPECT_EQ(state("acct-released"), "ended");
  EXPECT_EQ(state("plain-dead"), "ended");
  EXPECT_EQ(ledger_.agentOnCall("alice").value(), 1);
  EXPECT_EQ(ledger_.agentOnCall("carol").value(), 1);
  EXPECT_EQ(ledger_.agentOnCall("bob").value(), 0);
  EXPECT_EQ(ledger_.agentOnCall("dave").value(), 0);
  EXPECT_EQ(ledger_.numberOnCall(kAccountNumber).value(), 1);
  EXPECT_EQ(ledger_.numberOnCall(kPlainNumber).value(), 1);
}

TEST_F(PresenceReconcileIntegration, LeavesACallWithoutALeaseAloneWithinTheGrace) {
  answeredCall("acct-new", kAccountNumber, "erin", /*slot=*/false);  // slot not taken yet
  auto report = reconciler_.run(kOfferedAtMs + kGraceMs - 1, kGraceMs, ReconcileScope::LiveSets);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->stale_calls_ended, 0);
  EXPECT_EQ(state("acct-new"), "answered");
}

// The sweep reads the live calls' records a chunk (500) at a time, so what it holds does not grow
// with the live calls (docs/bench/memory.md): 1,201 calls span three chunks, and every one is
// counted once, the stale one in the last chunk ended, whichever chunk a call's agent's other
// calls fell in.
TEST_F(PresenceReconcileIntegration, CountsEveryLiveCallAcrossChunksOfRecords) {
  constexpr int kLive = 1200;
  // One number per call (a number's own cap stays far away); Call-IDs sort in order, so each
  // agent's calls spread over all three chunks.
  auto number = [](int i) { return "+1556" + std::to_string(1000000 + i); };
  for (int i = 0; i < kLive; ++i) {
    answeredCall("chunk-" + std::to_string(10000 + i), number(i), i % 2 == 0 ? "frank" : "grace",
                 /*slot=*/true);
  }
  answeredCall("chunk-zz-dead", kPlainNumber, "heidi", /*slot=*/false);             // sorts last
  ASSERT_TRUE(client_.command({"HSET", "cm:agent:{frank}", "on_call", "3"}).ok());  // drifted

  auto report = reconciler_.run(kPastTheGraceMs, kGraceMs, ReconcileScope::LiveSets);
  ASSERT_TRUE(report.ok()) << report.error().describe();
  EXPECT_EQ(report->live_calls, kLive);
  EXPECT_EQ(report->stale_calls_ended, 1);
  EXPECT_EQ(ledger_.agentOnCall("frank").value(), kLive / 2);
  EXPECT_EQ(ledger_.agentOnCall("grace").value(), kLive / 2);
  EXPECT_EQ(ledger_.agentOnCall("heidi").value(), 0);
  EXPECT_EQ(state("chunk-zz-dead"), "ended");
  EXPECT_EQ(ledger_.numberOnCall(number(0)).value(), 1);
  EXPECT_EQ(ledger_.numberOnCall(number(kLive - 1)).value(), 1);
  EXPECT_EQ(ledger_.numberOnCall(kPlainNumber).value(), 0);
}

}  // namespace
}  // namespace callmesh::agent_presence
