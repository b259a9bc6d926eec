// Batched acquires (SlotLedger::acquireMany, LimiterService::handleBatch) against a real
// redis-server on a free loopback port. seed 004_ee4e98a6a7f6781b.txt: at most 50 simultaneous
// inbound calls per company number, exactly, however the acquires are grouped.
#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "services/concurrency-limiter/slot_ledger.h"
#include "shared/redis/hiredis_client.h"
#include "shared/testing/redis_command_stats.h"
#include "shared/testing/redis_server.h"

namespace callmesh::concurrency_limiter {
namespace {

class SlotLedgerBatchIntegration : public ::testing::Test {
 protected:
  testing::RedisServer server_;
  redis::RedisEndpoint endpoint() const { return {server_.host(), server_.port(), 1000}; }
};

std::vector<AcquireAsk> asks(const std::string& number, const std::string& prefix, int n) {
  std::vector<AcquireAsk> out;
  for (int i = 0; i < n; ++i) out.push_back({number, prefix + std::to_string(i), {}});
  return out;
}

// Four limiter replicas each deciding 200 callers in batches of 20: exactly 50 granted in all.
TEST_F(SlotLedgerBatchIntegration, BatchesFromFourReplicasGrantExactlyFifty) {
  CapPolicy caps(50, {});
  std::atomic<int> granted{0};
  std::atomic<int> denied{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      redis::HiredisClient client(endpoint());
      SlotLedger ledger(client, caps, 30000);
      for (int b = 0; b < 10; ++b) {
        auto decided = ledger.acquireMany(
            asks("+15550100", "r" + std::to_string(t) + "-" + std::to_string(b) + "-", 20));
        if (!decided.ok()) {
          errors += 20;
          continue;
        }
        for (const auto& st : decided.value()) {
          if (!st.ok()) {
            ++errors;
          } else {
            ++(st->granted ? granted : denied);
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(granted.load(), 50);
  EXPECT_EQ(denied.load(), 750);
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  EXPECT_EQ(ledger.usage("+15550100")->in_use, 50);
}

// Each ask is decided as acquire() decides it, in order: an ask's releases are freed before its
// own cap check and after the asks before it; the count each reports is the one it met. Once
// the scripts are loaded the whole batch is one round trip: one EVALSHA per run of consecutive
// asks on one number (an ask carrying releases starts a run; an account's number is alone).
TEST_F(SlotLedgerBatchIntegration, AsksAreDecidedInOrderWithTheirReleasesInOneRoundTrip) {
  CapPolicy caps(2, {}, {{"+15550100", {"acme", 2}}});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  // The first batch loads the scripts (one by one) and fills both numbers.
  auto first = ledger.acquireMany({{"+1", "a", {}}, {"+1", "b", {}}, {"+15550100", "x", {}}});
  ASSERT_TRUE(first.ok());
  for (const auto& st : first.value()) ASSERT_TRUE(st.ok() && st->granted);
  ASSERT_TRUE(client.command({"CONFIG", "RESETSTAT"}).ok());
  auto decided = ledger.acquireMany({
      {"+1", "c", {}},                              // at the cap: refused
      {"+1", "d", {{"+1", "a"}}},                   // a ended first: d gets its slot
      {"+1", "b", {}},                              // a retry of a held call keeps its slot
      {"+15550100", "y", {}},                       // the account (cap 2) has room: granted
      {"+15550100", "z", {{"+15550100", "gone"}}},  // nothing freed: refused at the number cap
  });
  ASSERT_TRUE(decided.ok()) << decided.error().describe();
  const auto& d = decided.value();
  ASSERT_EQ(d.size(), 5u);
  EXPECT_FALSE(d[0]->granted);
  EXPECT_EQ(d[0]->in_use, 2);
  EXPECT_TRUE(d[1]->granted);
  EXPECT_EQ(d[1]->released, 1);
  EXPECT_EQ(d[1]->in_use, 2);
  EXPECT_TRUE(d[2]->granted);
  EXPECT_TRUE(d[3]->granted);
  EXPECT_EQ(d[3]->in_use, 2);
  EXPECT_FALSE(d[4]->granted);
  EXPECT_EQ(d[4]->released, 0);
  auto calls = testing::redisCommandCalls(client);
  // c; d and b as one run; y; z; and the run script's first use, which loads it with no call.
  EXPECT_EQ(calls["evalsha"], 5);
  EXPECT_EQ(calls["script|load"], 1);
  EXPECT_EQ(calls["zrem"], 3);  // a; gone from the number and from the account
  EXPECT_EQ(client.command({"ZCARD", ledger.slotsKey("+1")})->integer, 2);  // d and b
  EXPECT_EQ(client.command({"ZSCORE", ledger.slotsKey("+1"), "a"})->type,
            redis::RedisReply::Type::Nil);
}

// seed 004_ee4e98a6a7f6781b.txt (the cap, here 5): twenty asks on one number that queued together
// are one script, decided in order: the first five granted, each with the count it made; a
// retry of a held call inside the run keeps its slot at the cap; the rest refused at 5.
TEST_F(SlotLedgerBatchIntegration, ConsecutiveAsksOnOneNumberAreDecidedInOrderByOneScript) {
  CapPolicy caps(5, {});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  ASSERT_TRUE(ledger.acquire("+1", "held")->granted);           // loads the plain script
  ASSERT_TRUE(ledger.acquireMany(asks("+1", "warm", 2)).ok());  // loads the run script
  ASSERT_TRUE(client.command({"DEL", ledger.slotsKey("+1")}).ok());
  ASSERT_TRUE(ledger.acquire("+1", "held")->granted);
  ASSERT_TRUE(client.command({"CONFIG", "RESETSTAT"}).ok());
  std::vector<AcquireAsk> batch = asks("+1", "n", 20);
  batch.insert(batch.begin() + 10, AcquireAsk{"+1", "held", {}});
  auto decided = ledger.acquireMany(batch);
  ASSERT_TRUE(decided.ok()) << decided.error().describe();
  ASSERT_EQ(decided->size(), 21u);
  for (size_t i = 0; i < decided->size(); ++i) {
    const auto& st = (*decided)[i];
    ASSERT_TRUE(st.ok()) << i << ": " << st.error().describe();
    EXPECT_EQ(st->granted, i < 4 || i == 10) << i;
    EXPECT_EQ(st->in_use, i < 4 ? static_cast<int64_t>(i) + 2 : 5) << i;
    EXPECT_EQ(st->cap, 5);
  }
  auto calls = testing::redisCommandCalls(client);
  EXPECT_EQ(calls["evalsha"], 1);
  EXPECT_EQ(calls["zremrangebyscore"], 1);
  EXPECT_EQ(calls["zcard"], 1);
  EXPECT_EQ(calls["zadd"], 5);  // n0-n3 and the held call's new lease
  EXPECT_EQ(calls["pexpire"], 1);
  EXPECT_EQ(ledger.usage("+1")->in_use, 5);
  EXPECT_EQ(client.command({"ZSCORE", ledger.slotsKey("+1"), "n4"})->type,
            redis::RedisReply::Type::Nil);
}

// seed 004_ee4e98a6a7f6781b.txt (the cap per number, here 2, one number at 3): asks on several
// numbers that queued together (1,000 tracking numbers dialled in turn) are one script on one
// Redis, each decided as alone and in order, each number purged, counted and given its expiry
// once; the same asks one by one on another Redis leave the same slots.
TEST_F(SlotLedgerBatchIntegration, AsksOnSeveralNumbersAreDecidedInOrderByOneScript) {
  CapPolicy caps(2, {{"+3", 3}});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  ASSERT_TRUE(ledger.acquire("+1", "held")->granted);           // loads the plain script
  ASSERT_TRUE(ledger.acquireMany(asks("+9", "warm", 2)).ok());  // loads the run script
  ASSERT_TRUE(client.command({"CONFIG", "RESETSTAT"}).ok());
  const std::vector<AcquireAsk> batch{
      {"+1", "a", {}},    {"+2", "b", {}}, {"+1", "c", {}}, {"+3", "d", {}}, {"+2", "e", {}},
      {"+1", "held", {}}, {"+2", "f", {}}, {"+3", "g", {}}, {"+3", "h", {}}, {"+3", "i", {}}};
  auto decided = ledger.acquireMany(batch);
  ASSERT_TRUE(decided.ok()) << decided.error().describe();
  ASSERT_EQ(decided->size(), batch.size());
  // +1: held and a fill it, c refused, held kept; +2: b, e, then f refused; +3 (cap 3): d, g, h,
  // then i refused.
  const std::vector<bool> granted{true, true, false, true, true, true, false, true, true, false};
  const std::vector<int64_t> in_use{2, 1, 2, 1, 2, 2, 2, 2, 3, 3};
  const std::vector<int> caps_seen{2, 2, 2, 3, 2, 2, 2, 3, 3, 3};
  for (size_t i = 0; i < batch.size(); ++i) {
    ASSERT_TRUE((*decided)[i].ok()) << i;
    EXPECT_EQ((*decided)[i]->granted, granted[i]) << i;
    EXPECT_EQ((*decided)[i]->in_use, in_use[i]) << i;
    EXPECT_EQ((*decided)[i]->cap, caps_seen[i]) << i;
  }
  auto calls = testing::redisCommandCalls(client);
  EXPECT_EQ(calls["evalsha"], 1);
  EXPECT_EQ(calls["time"], 1);
  EXPECT_EQ(calls["zremrangebyscore"], 3);
  EXPECT_EQ(calls["zcard"], 3);
  EXPECT_EQ(calls["pexpire"], 3);
  EXPECT_EQ(calls["zadd"], 7);  // a, b, d, e, held (renewed), g, h

  testing::RedisServer other;
  redis::HiredisClient alone({other.host(), other.port(), 1000});
  SlotLedger one_by_one(alone, caps, 30000);
  ASSERT_TRUE(one_by_one.acquire("+1", "held")->granted);
  for (size_t i = 0; i < batch.size(); ++i) {
    auto st = one_by_one.acquire(batch[i].number, batch[i].call_id);
    ASSERT_TRUE(st.ok()) << i;
    EXPECT_EQ(st->granted, granted[i]) << i;
    EXPECT_EQ(st->in_use, in_use[i]) << i;
  }
  for (const char* number : {"+1", "+2", "+3"}) {
    auto members = [&](redis::HiredisClient& c, SlotLedger& l) {
      std::vector<std::string> out;
      auto reply = c.command({"ZRANGE", l.slotsKey(number), "0", "-1"});
      if (!reply.ok()) return out;
      for (const auto& m : reply->elements) out.push_back(m.text);
      std::sort(out.begin(), out.end());
      return out;
    };
    EXPECT_EQ(members(client, ledger), members(alone, one_by_one)) << number;
    int64_t ttl = client.command({"PTTL", ledger.slotsKey(number)})->integer;
    EXPECT_GT(ttl, 29000) << number;
    EXPECT_LE(ttl, 30000) << number;
  }
}

// Redis lost its script cache (a restart, SCRIPT FLUSH): every ask is still decided, each script
// (a run's and a lone ask's) loaded again through the client.
TEST_F(SlotLedgerBatchIntegration, AFlushedScriptCacheIsReloadedAndEveryAskDecided) {
  CapPolicy caps(3, {});
  redis::HiredisClient client(endpoint());
  SlotLedger ledger(client, caps, 30000);
  ASSERT_TRUE(ledger.acquire("+1", "a")->granted);           // loads the plain script
  ASSERT_TRUE(ledger.acquireMany(asks("+2", "w", 2)).ok());  // and the run script
  ASSERT_TRUE(client.command({"SCRIPT", "FLUSH"}).ok());
  auto batch = asks("+1", "n", 3);
  batch.push_back({"+3", "solo", {{"+3", "gone"}}});  // its release starts a lone ask
  auto decided = ledger.acquireMany(batch);
  ASSERT_TRUE(decided.ok()) << decided.error().describe();
  ASSERT_EQ(decided->size(), 4u);
  EXPECT_TRUE((*decided)[0]->granted);
  EXPECT_TRUE((*decided)[1]->granted);
  EXPECT_FALSE((*decided)[2]->granted);  // a, n0, n1 hold the three slots
  EXPECT_TRUE((*decided)[3]->granted);
  EXPECT_EQ(ledger.usage("+1")->in_use, 3);
  EXPECT_EQ(ledger.usage("+3")->in_use, 1);
}

}  // namespace
}  // namespace callmesh::concurrency_limiter
