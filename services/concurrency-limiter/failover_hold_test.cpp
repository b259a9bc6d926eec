// Issue 18 item 1: after a Redis failover the limiter refuses new calls for one hold while
// renewals re-add the leases the old primary had not replicated.
#include "services/concurrency-limiter/failover_hold.h"

#include <gtest/gtest.h>

namespace callmesh::concurrency_limiter {
namespace {

TEST(FailoverHold, NoHoldUntilThePrimaryChanges) {
  FailoverHold hold(1500);
  EXPECT_FALSE(hold.observe(0, 1'000'000));
  EXPECT_FALSE(hold.holding(1'000'000));
}

TEST(FailoverHold, ANewPrimaryHoldsForTheHoldThenAdmits) {
  FailoverHold hold(1500);
  EXPECT_TRUE(hold.observe(1, 10'000));
  EXPECT_TRUE(hold.holding(10'000));
  EXPECT_EQ(hold.remainingMs(10'400), 1100);
  EXPECT_TRUE(hold.holding(11'499));
  EXPECT_FALSE(hold.holding(11'500));
  EXPECT_FALSE(hold.observe(1, 12'000));  // same primary: nothing new
  EXPECT_FALSE(hold.holding(12'000));
}

TEST(FailoverHold, ASecondFailoverRestartsTheHold) {
  FailoverHold hold(1000);
  (void)hold.observe(1, 0);
  EXPECT_TRUE(hold.observe(2, 900));
  EXPECT_TRUE(hold.holding(1'800));
  EXPECT_FALSE(hold.holding(1'900));
}

TEST(FailoverHold, ZeroHoldNeverRefuses) {
  FailoverHold hold(0);
  EXPECT_TRUE(hold.observe(3, 5));
  EXPECT_FALSE(hold.holding(5));
  EXPECT_EQ(hold.remainingMs(5), 0);
}

}  // namespace
}  // namespace callmesh::concurrency_limiter
