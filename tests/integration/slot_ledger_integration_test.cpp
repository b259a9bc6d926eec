// The concurrency-limiter's slot ledger against a real redis-server on a free loopback port.
// seed 004_ee4e98a6a7f6781b.txt: at most 50 simultaneous inbound calls per company number.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "services/concurrency-limiter/slot_ledger.h"
#include "shared/redis/hiredis_client.h"
#include "shared/testing/redis_command_stats.h"
#include "shared/testing/redis_server.h"

namespace callmesh::concurrency_limiter {
namespace {

class SlotLedgerIntegration : public ::testing::Test {
 protected:
  testing::RedisServer server_;
  redis::RedisEndpoint endpoint() const { return {server_.host(), server_.port(), 1000}; }
};

TEST_F(SlotLedgerIntegration, TwoHundredConcurrentAcquiresFromFourThreadsGrantExactlyFifty) {
  CapPolicy caps(50, {});
  std::atomic<int> granted{0};
  std::atomic<int> denied{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      redis::HiredisClient client(endpoint());  // one context per thread
      SlotLedger ledger(client, caps, 30000);
      for (int i = 0; i < 50; ++i) {
        auto st =
            ledger.acquire("+15550100", "call-" + std::to_string(t) + "-" + std::to_string(i));
        if (!st.ok()) {
          ++errors;
        } else if (st->granted) {
          ++granted;
        } else {
          ++denied;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(granted.load(), 50);
  EXPECT_EQ(denied.load(), 150);
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  EXPECT_EQ(ledger.usage("+15550100")->in_use, 50);
}

// Redis's cost for a script is mostly per command it runs: a new call under the cap is TIME,
// ZREMRANGEBYSCORE, ZCARD, ZADD and PEXPIRE, and the count it reports comes from those replies.
// At the cap, the call is refused after ZCARD and ZSCORE (is it a retry of a held call?).
TEST_F(SlotLedgerIntegration, AnAcquireUnderTheCapRunsFiveCommandsAndReportsTheCount) {
  CapPolicy caps(2, {});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  ASSERT_TRUE(ledger.acquire("+15550100", "first")->granted);  // loads the script
  ASSERT_TRUE(client.command({"CONFIG", "RESETSTAT"}).ok());
  auto second = ledger.acquire("+15550100", "second");
  ASSERT_TRUE(second.ok()) << second.error().describe();
  EXPECT_TRUE(second->granted);
  EXPECT_EQ(second->in_use, 2);
  auto calls = testing::redisCommandCalls(client);
  EXPECT_EQ(calls["evalsha"], 1);
  EXPECT_EQ(testing::dataCommandCalls(calls), 5);

  ASSERT_TRUE(client.command({"CONFIG", "RESETSTAT"}).ok());
  auto third = ledger.acquire("+15550100", "third");
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->granted);
  EXPECT_EQ(third->in_use, 2);
  EXPECT_EQ(testing::dataCommandCalls(testing::redisCommandCalls(client)), 4);  // up to ZSCORE
  auto retried = ledger.acquire("+15550100", "second");  // a retry at the cap keeps its slot
  ASSERT_TRUE(retried.ok());
  EXPECT_TRUE(retried->granted);
  EXPECT_EQ(retried->in_use, 2);
}

TEST_F(SlotLedgerIntegration, PerNumberOverrideAndIndependentNumbers) {
  CapPolicy caps(50, {{"+15550101", 2}});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  EXPECT_TRUE(ledger.acquire("+15550101", "a")->granted);
  EXPECT_TRUE(ledger.acquire("+15550101", "b")->granted);
  EXPECT_FALSE(ledger.acquire("+15550101", "c")->granted);
  EXPECT_TRUE(ledger.acquire("+15550102", "c")->granted);  // another number has its own cap
}

TEST_F(SlotLedgerIntegration, AcquireIsIdempotentForTheSameCall) {
  CapPolicy caps(1, {});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  EXPECT_TRUE(ledger.acquire("+1", "same")->granted);
  EXPECT_TRUE(ledger.acquire("+1", "same")->granted);  // a retried acquire keeps its slot
  EXPECT_EQ(ledger.usage("+1")->in_use, 1);
}

TEST_F(SlotLedgerIntegration, LeaseOfAVanishedHolderExpiresAndFreesItsSlot) {
  CapPolicy caps(1, {});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 300);  // short lease for the test
  ASSERT_TRUE(ledger.acquire("+15550100", "crashed-ingress-call")->granted);
  EXPECT_FALSE(ledger.acquire("+15550100", "next")->granted);
  // The holder never renews nor releases (its ingress died). Bounded wait for the lease.
  bool freed = false;
  for (int i = 0; i < 40 && !freed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    freed = ledger.acquire("+15550100", "next")->granted;
  }
  EXPECT_TRUE(freed);
  EXPECT_EQ(ledger.usage("+15550100")->in_use, 1);
}

TEST_F(SlotLedgerIntegration, RenewKeepsALiveCallButNeverRevivesAnExpiredOne) {
  CapPolicy caps(1, {});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 400);
  ASSERT_TRUE(ledger.acquire("+1", "live")->granted);
  for (int i = 0; i < 4; ++i) {  // 800 ms of renewing every 200 ms: twice the lease
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(ledger.renew({{"+1", "live"}}).value(), 1);
  }
  EXPECT_FALSE(ledger.acquire("+1", "other")->granted);
  EXPECT_TRUE(ledger.release("+1", "live").value());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(ledger.renew({{"+1", "live"}}).value(), 0);  // released: not brought back
  EXPECT_TRUE(ledger.acquire("+1", "other")->granted);
}

TEST_F(SlotLedgerIntegration, ReleaseIsIdempotentAndNeverFreesAnotherCallsSlot) {
  CapPolicy caps(2, {});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  ASSERT_TRUE(ledger.acquire("+1", "a")->granted);
  ASSERT_TRUE(ledger.acquire("+1", "b")->granted);
  EXPECT_TRUE(ledger.release("+1", "a").value());
  EXPECT_FALSE(ledger.release("+1", "a").value());  // second release: nothing to free
  EXPECT_EQ(ledger.usage("+1")->in_use, 1);         // b still holds its slot
  EXPECT_TRUE(ledger.acquire("+1", "c")->granted);
  EXPECT_FALSE(ledger.acquire("+1", "d")->granted);
}

// The ingress gives back the slots of the calls that ended in one tick in one request.
TEST_F(SlotLedgerIntegration, BatchReleaseFreesExactlyTheListedCallsInOneRoundTrip) {
  CapPolicy caps(2, {}, {{"+15550100", {"acme", 3}}});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  ASSERT_TRUE(ledger.acquire("+1", "a")->granted);
  ASSERT_TRUE(ledger.acquire("+1", "b")->granted);
  ASSERT_TRUE(ledger.acquire("+15550100", "x")->granted);
  ASSERT_TRUE(ledger.acquire("+15550100", "y")->granted);
  // a and x were held; "gone" never was; a again is a redelivery: 2 freed.
  EXPECT_EQ(ledger.release({{"+1", "a"}, {"+15550100", "x"}, {"+1", "gone"}, {"+1", "a"}}).value(),
            2);
  EXPECT_EQ(ledger.usage("+1")->in_use, 1);  // b keeps its slot
  EXPECT_EQ(ledger.usage("+15550100")->in_use, 1);
  EXPECT_EQ(client.command({"ZCARD", SlotLedger::accountKey("acme")})->integer, 1);  // y only
  EXPECT_EQ(ledger.release(std::vector<SlotRef>{}).value(), 0);
}

// seed 004: the 50-call cap counts live calls only. A caller arriving just after another call
// ended gets that call's slot even at the cap: the ingress sends the ended calls' releases with
// the next acquire, freed before the cap is checked, in one round trip.
TEST_F(SlotLedgerIntegration, ReleasesSentWithAnAcquireAreFreedBeforeTheCapIsChecked) {
  CapPolicy caps(2, {}, {{"+15550100", {"acme", 2}}});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  ASSERT_TRUE(ledger.acquire("+1", "a")->granted);  // loads the script
  ASSERT_TRUE(ledger.acquire("+1", "b")->granted);
  EXPECT_FALSE(ledger.acquire("+1", "c")->granted);  // at the cap
  auto st = ledger.acquire("+1", "c", {{"+1", "a"}, {"+1", "gone"}});
  ASSERT_TRUE(st.ok()) << st.error().describe();
  EXPECT_TRUE(st->granted);
  EXPECT_EQ(st->in_use, 2);
  EXPECT_EQ(st->released, 1);  // a was held; "gone" never was
  // The account set is freed too: x's release lets z in on the account's cap of 2.
  ASSERT_TRUE(ledger.acquire("+15550100", "x")->granted);
  ASSERT_TRUE(ledger.acquire("+15550100", "y")->granted);
  auto z = ledger.acquire("+15550100", "z", {{"+15550100", "x"}});
  ASSERT_TRUE(z.ok()) << z.error().describe();
  EXPECT_TRUE(z->granted);
  EXPECT_EQ(client.command({"ZCARD", SlotLedger::accountKey("acme")})->integer, 2);  // y, z
  // An emptied script cache (Redis restarted with its data, SCRIPT FLUSH): the releases still
  // happen once and the acquire reloads its script.
  ASSERT_EQ(client.command({"SCRIPT", "FLUSH"})->type, redis::RedisReply::Type::Status);
  auto after_flush = ledger.acquire("+1", "d", {{"+1", "b"}});
  ASSERT_TRUE(after_flush.ok()) << after_flush.error().describe();
  EXPECT_TRUE(after_flush->granted);
  EXPECT_EQ(after_flush->released, 1);
  EXPECT_EQ(ledger.usage("+1")->in_use, 2);  // c and d
}

// Issue 5: an account-wide cap over several numbers, on top of each number's own cap.
TEST_F(SlotLedgerIntegration, AccountWideCapHoldsAcrossItsNumbers) {
  CapPolicy caps(50, {{"+15550101", 2}}, {{"+15550100", {"acme", 3}}, {"+15550101", {"acme", 3}}});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  EXPECT_TRUE(ledger.acquire("+15550100", "a")->granted);
  EXPECT_TRUE(ledger.acquire("+15550101", "b")->granted);
  EXPECT_TRUE(ledger.acquire("+15550101", "c")->granted);
  EXPECT_FALSE(ledger.acquire("+15550100", "d")->granted);  // the account holds 3 of 3
  EXPECT_FALSE(ledger.acquire("+15550101", "e")->granted);  // the number's own cap (2) too
  EXPECT_TRUE(ledger.acquire("+15550199", "f")->granted);   // not in the account: unaffected
  EXPECT_EQ(ledger.slotsKey("+15550100"), "cm:{acct:acme}:slots:+15550100");
  // A refused acquire left nothing behind in either set (both-or-neither).
  auto members = client.command({"ZCARD", SlotLedger::accountKey("acme")});
  EXPECT_EQ(members->integer, 3);
  EXPECT_TRUE(ledger.release("+15550101", "b").value());
  EXPECT_EQ(client.command({"ZCARD", SlotLedger::accountKey("acme")})->integer, 2);
  EXPECT_TRUE(ledger.acquire("+15550100", "d")->granted);  // the account has room again
  EXPECT_EQ(ledger.renew({{"+15550100", "a"}, {"+15550100", "d"}, {"+15550101", "c"}}).value(), 3);
}

TEST_F(SlotLedgerIntegration, RedisDownGivesAnErrorAndRecoversAfterRestart) {
  CapPolicy caps(50, {});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  ASSERT_TRUE(ledger.acquire("+1", "a").ok());
  server_.stop();
  auto down = ledger.acquire("+1", "b");
  ASSERT_FALSE(down.ok());
  EXPECT_TRUE(down.error().kind == ErrorKind::Disconnected ||
              down.error().kind == ErrorKind::Timeout)
      << down.error().describe();
  server_.start();
  // A new server has an empty script cache: the client reloads the script (NOSCRIPT path).
  auto up = ledger.acquire("+1", "b");
  ASSERT_TRUE(up.ok()) << up.error().describe();
  EXPECT_TRUE(up->granted);
}

}  // namespace
}  // namespace callmesh::concurrency_limiter
