#include "services/agent-presence/failover_reconcile.h"

#include <gtest/gtest.h>

namespace callmesh::agent_presence {
namespace {

// docs/redis-failover.md: after a failover presence reconciles once the calls whose `ended` was
// lost are past their lease and the grace, and not before (live calls' leases may still be
// missing until their renewals re-add them).
TEST(FailoverReconcile, NothingIsDueBeforeTheFirstFailover) {
  FailoverReconcile f(7000, 1000);
  EXPECT_FALSE(f.observe(0, 100));
  EXPECT_FALSE(f.settling());
  EXPECT_FALSE(f.due(1'000'000));
}

TEST(FailoverReconcile, ANewPrimaryGivesOneRunAfterTheSettleTime) {
  FailoverReconcile f(7000, 1000);
  EXPECT_TRUE(f.observe(1, 10'000));
  EXPECT_TRUE(f.settling());  // the periodic sweep waits meanwhile
  EXPECT_FALSE(f.due(16'999));
  EXPECT_TRUE(f.due(17'000));
  f.ran(true, 17'000);
  EXPECT_FALSE(f.settling());
  EXPECT_FALSE(f.due(100'000));
  EXPECT_FALSE(f.observe(1, 100'000));  // the same primary: nothing new
}

TEST(FailoverReconcile, AFailedRunIsRetriedUntilOneSucceeds) {
  FailoverReconcile f(7000, 1000);
  f.observe(1, 10'000);
  f.ran(false, 17'000);  // the new primary was not writable yet
  EXPECT_TRUE(f.settling());
  EXPECT_FALSE(f.due(17'999));
  EXPECT_TRUE(f.due(18'000));
  f.ran(true, 18'000);
  EXPECT_FALSE(f.settling());
}

TEST(FailoverReconcile, ASecondFailoverPushesTheRunBack) {
  FailoverReconcile f(7000, 1000);
  f.observe(1, 10'000);
  EXPECT_TRUE(f.observe(2, 15'000));
  EXPECT_FALSE(f.due(17'000));
  EXPECT_TRUE(f.due(22'000));
}

}  // namespace
}  // namespace callmesh::agent_presence
