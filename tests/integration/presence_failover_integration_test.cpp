// agent-presence after a Redis failover that lost an `ended` event (issue 18 item 1,
// docs/redis-failover.md "Presence"), against two real redis-servers with real replication: the
// old primary acknowledged the `ended` and the replica promoted in its place never got it, so the
// call stays on its number and its agent on a call. Presence's reconcile after the move repairs it
// and keeps the live call (FailoverReconcile).
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include "services/agent-presence/presence_ledger.h"
#include "services/agent-presence/presence_reconcile.h"
#include "services/agent-presence/presence_service.h"
#include "services/concurrency-limiter/cap_policy.h"
#include "services/concurrency-limiter/slot_ledger.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/redis/slot_lease_reader.h"
#include "shared/testing/failing_over_client.h"
#include "shared/testing/manual_clock.h"
#include "shared/testing/redis_server.h"

namespace callmesh::agent_presence {
namespace {

constexpr char kNumber[] = "+15550100";
constexpr int64_t kLeaseMs = 30000;
constexpr int64_t kGraceMs = 2 * kLeaseMs;  // as main.cpp: two lease lengths
constexpr int64_t kSettleMs = kGraceMs + 1000;

class PresenceFailoverIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    // The new primary starts as the old one's replica: it has everything up to the failover.
    // (Without the 5 s default delay before the first sync.)
    ASSERT_TRUE(old_primary_.command({"CONFIG", "SET", "repl-diskless-sync-delay", "0"}).ok());
    ASSERT_TRUE(
        replica_.command({"REPLICAOF", old_server_.host(), std::to_string(old_server_.port())})
            .ok());
    bool up = false;
    for (int i = 0; i < 500 && !up; ++i) {  // bounded: 10 s
      auto info = replica_.command({"INFO", "replication"});
      up = info.ok() && info->text.find("master_link_status:up") != std::string::npos;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(up) << "replica never linked to the old primary";
  }
  // Everything written so far is on the replica (WAIT 1).
  void replicated() {
    auto acks = old_primary_.command({"WAIT", "1", "5000"});
    ASSERT_TRUE(acks.ok());
    ASSERT_EQ(acks->integer, 1);
    // Seen here: WAIT answered 1 while reads on the replica did not yet show the writes (2 runs
    // in 6), so read them back before the failover (bounded: 10 s).
    bool there = false;
    for (int i = 0; i < 500 && !there; ++i) {
      there = onCall("alice") == 1 && onCall("bob") == 1 && numberOnCall() == 2;
      if (!there) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(there) << "the replica never showed the two answered calls";
  }
  int64_t onCall(const std::string& agent) {
    auto v = replica_.command({"HGET", redis::presence_keys::agent(agent), "on_call"});
    return v.ok() && !v->isNil() ? std::stoll(v->text) : -1;
  }
  int64_t numberOnCall() {
    return replica_.command({"SCARD", redis::presence_keys::numberOnCall(kNumber)})->integer;
  }

  testing::RedisServer old_server_, new_server_;
  redis::RedisEndpoint endpointOf(const testing::RedisServer& s) {
    return {s.host(), s.port(), 2000};
  }
  redis::HiredisClient old_primary_{endpointOf(old_server_)};  // the test's own views
  redis::HiredisClient replica_{endpointOf(new_server_)};
  testing::FailingOverClient redis_{endpointOf(old_server_), endpointOf(new_server_)};
  concurrency_limiter::CapPolicy caps_{50, {}};
  concurrency_limiter::SlotLedger slots_{redis_, caps_, kLeaseMs};
  PresenceLedger ledger_{redis_};
  redis::SlotLeaseReader leases_{redis_, redis::SlotKeys()};
  PresenceReconciler reconciler_{redis_, ledger_, leases_};
  prometheus::Registry registry_;
  PresenceMetrics metrics_{registry_};
  Logger log_{"presence-test", LogLevel::Error};
  testing::ManualClock clock_;
  PresenceService service_{ledger_, reconciler_, redis_, {}, clock_, metrics_, log_};
};

TEST_F(PresenceFailoverIntegration, ALostEndedIsRepairedOnceTheCallIsPastItsLeaseAndTheGrace) {
  service_.followFailovers(kSettleMs, 1000);
  const int64_t t0 = clock_.nowMs();
  // Two answered calls, each with its slot lease; both replicated.
  for (auto [call, agent] : {std::pair{"ended-call", "alice"}, std::pair{"live-call", "bob"}}) {
    ASSERT_TRUE(ledger_.offered(call, kNumber, t0).ok());
    ASSERT_TRUE(ledger_.answered(call, agent, t0 + 1).ok());
    ASSERT_TRUE(slots_.acquire(kNumber, call)->granted);
  }
  replicated();
  // The failover: the replica is promoted, then the old primary acknowledges the end of the
  // first call (its `ended` event and the limiter's release), which the new primary never gets.
  ASSERT_TRUE(replica_.command({"REPLICAOF", "NO", "ONE"}).ok());
  ASSERT_TRUE(ledger_.ended("ended-call", t0 + 2).ok());
  ASSERT_TRUE(slots_.release(kNumber, "ended-call").value());
  redis_.failOver();
  service_.reconcileAfterFailover(kGraceMs);  // a command after the move would notice it too
  EXPECT_EQ(metrics_.failovers.Value(), 1);
  EXPECT_EQ(onCall("alice"), 1);  // what the failover lost
  EXPECT_EQ(numberOnCall(), 2);

  // Its lease came back with the new primary and runs out since nobody renews it (the live
  // call's ingress keeps renewing its own): its score, an expiry in Redis time, set in the past
  // as it is once run out, instead of waiting lease_ms.
  ASSERT_TRUE(replica_.command({"ZADD", slots_.slotsKey(kNumber), "XX", "1", "ended-call"}).ok());
  // Before the settle time nothing runs, and the periodic sweep waits for the failover run.
  clock_.advance(kSettleMs - 1);
  service_.reconcileAfterFailover(kGraceMs);
  service_.periodicReconcile(kGraceMs);
  EXPECT_EQ(metrics_.reconciles.Value(), 0);
  EXPECT_EQ(onCall("alice"), 1);

  clock_.advance(1);
  service_.reconcileAfterFailover(kGraceMs);
  EXPECT_EQ(metrics_.failover_reconciles.Value(), 1);
  EXPECT_EQ(metrics_.stale_calls_ended.Value(), 1);
  EXPECT_EQ(onCall("alice"), 0);
  EXPECT_EQ(onCall("bob"), 1);  // the live call keeps its agent
  EXPECT_EQ(numberOnCall(), 1);
  EXPECT_EQ(replica_.command({"HGET", redis::presence_keys::call("ended-call"), "state"})->text,
            "ended");
  // Then the periodic sweep runs again as usual, and one failover is reconciled once.
  service_.periodicReconcile(kGraceMs);
  service_.reconcileAfterFailover(kGraceMs);
  EXPECT_EQ(metrics_.reconciles.Value(), 2);
  EXPECT_EQ(metrics_.failover_reconciles.Value(), 1);
}

}  // namespace
}  // namespace callmesh::agent_presence
