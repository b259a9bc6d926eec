// Token buckets driven with explicit times: the arithmetic behind 429s and Retry-After (issue 17
// item 2) and the per-agent text rate (item 4).
#include "shared/base/token_bucket.h"

#include <gtest/gtest.h>

namespace callmesh {
namespace {

TEST(TokenBucket, BurstThenOnePerRefillInterval) {
  TokenBucket b(3, 2, 1000);  // 3 at once, then one every 500 ms
  EXPECT_EQ(b.take(1000), 0);
  EXPECT_EQ(b.take(1000), 0);
  EXPECT_EQ(b.take(1000), 0);
  EXPECT_EQ(b.take(1000), 500);  // refused: the wait is the Retry-After
  EXPECT_EQ(b.take(1250), 250);
  EXPECT_EQ(b.take(1500), 0);
  EXPECT_EQ(b.wait(1500), 500);
  EXPECT_EQ(b.take(100000), 0);  // refills to the burst, never beyond
  EXPECT_EQ(b.take(100000), 0);
  EXPECT_EQ(b.take(100000), 0);
  EXPECT_EQ(b.take(100000), 500);
}

TEST(TokenBucket, RefusedAttemptsDoNotDeepenTheDebt) {
  TokenBucket b(1, 1, 0);
  EXPECT_EQ(b.take(0), 0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(b.take(10), 990);
  EXPECT_EQ(b.take(1000), 0);
}

TEST(KeyedBuckets, KeysHaveTheirOwnBudget) {
  KeyedBuckets k(2, 1, 100);
  EXPECT_EQ(k.take("alice", 0), 0);
  EXPECT_EQ(k.take("alice", 0), 0);
  EXPECT_EQ(k.take("alice", 0), 1000);
  EXPECT_EQ(k.take("bob", 0), 0);
  EXPECT_EQ(k.wait("alice", 0), 1000);
  EXPECT_EQ(k.wait("carol", 0), 0);  // never seen: nothing owed, and nothing stored
  EXPECT_EQ(k.size(), 2u);
}

TEST(KeyedBuckets, TableIsBoundedAndForgetsTheLeastRecentlyUsed) {
  KeyedBuckets k(1, 0.001, 3);
  EXPECT_EQ(k.take("a", 0), 0);
  EXPECT_EQ(k.take("b", 0), 0);
  EXPECT_EQ(k.take("c", 0), 0);
  EXPECT_GT(k.take("a", 1), 0);  // a is now the most recent; b the least
  EXPECT_EQ(k.take("d", 2), 0);  // evicts b
  EXPECT_EQ(k.size(), 3u);
  EXPECT_EQ(k.wait("b", 3), 0);  // forgotten
  EXPECT_GT(k.wait("a", 3), 0);  // kept
  EXPECT_GT(k.wait("c", 3), 0);
  for (int i = 0; i < 10000; ++i) k.take("x" + std::to_string(i), 4);
  EXPECT_EQ(k.size(), 3u);
}

TEST(TokenBucket, FullOnlyOnceRefilledToTheBurst) {
  TokenBucket b(2, 1, 0);
  EXPECT_TRUE(b.full(0));
  EXPECT_EQ(b.take(0), 0);
  EXPECT_FALSE(b.full(999));
  EXPECT_TRUE(b.full(1000));
}

}  // namespace
}  // namespace callmesh
