// The per-agent text rate (issue 17 item 4): a token bucket on the time it is given.
#include "services/notification/text_rate_limit.h"

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

TEST(TextRateLimit, BurstThenOnePerRefillAndRetryAfterSaysWhen) {
  TextRateLimiter limits(6, 3);  // 6 a minute = one per 10 s; bursts of 3
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limits.admit("alice", 1000), 0) << i;
  EXPECT_EQ(limits.admit("alice", 1000), 10000);
  EXPECT_EQ(limits.admit("alice", 6000), 5000);
  EXPECT_EQ(limits.admit("bob", 6000), 0);  // per agent
  EXPECT_EQ(limits.admit("alice", 11000), 0);
  EXPECT_EQ(limits.admit("alice", 11000), 10000);
}

TEST(TextRateLimit, TableIsBoundedAndForgetsOnlyFullBuckets) {
  TextRateLimiter limits(60, 1, 2);
  EXPECT_EQ(limits.admit("a", 0), 0);
  EXPECT_EQ(limits.admit("b", 0), 0);
  EXPECT_GT(limits.admit("c", 0), 0);     // both buckets empty: a third agent waits
  EXPECT_EQ(limits.admit("c", 2000), 0);  // a and b refilled and were forgotten
  EXPECT_GT(limits.admit("c", 2000), 0);
}

TEST(TextRateLimit, ALongSilenceRefillsToTheBurstNeverBeyond) {
  TextRateLimiter limits(60, 2);
  EXPECT_EQ(limits.admit("alice", 0), 0);
  EXPECT_EQ(limits.admit("alice", 3600000), 0);  // an hour later: 2 again, not 61
  EXPECT_EQ(limits.admit("alice", 3600000), 0);
  EXPECT_EQ(limits.admit("alice", 3600000), 1000);
}

}  // namespace
}  // namespace callmesh::notification
