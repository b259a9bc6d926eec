// issue 17 item 2: the arithmetic behind 429s and stream caps, driven with explicit times.
#include "services/notification/http_limits.h"

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

TEST(StreamQuota, PerKeyCapThenReplicaCapAndCloseFreesASlot) {
  StreamQuota q(2, 3);
  EXPECT_EQ(q.open("alice"), StreamQuota::Verdict::Open);
  EXPECT_EQ(q.open("alice"), StreamQuota::Verdict::Open);
  EXPECT_EQ(q.open("alice"), StreamQuota::Verdict::KeyFull);
  EXPECT_EQ(q.of("alice"), 2);
  EXPECT_EQ(q.open("bob"), StreamQuota::Verdict::Open);
  EXPECT_EQ(q.open("carol"), StreamQuota::Verdict::ReplicaFull);
  EXPECT_EQ(q.total(), 3);
  q.close("alice");
  EXPECT_EQ(q.open("carol"), StreamQuota::Verdict::Open);
  q.close("nobody");  // an unknown key changes nothing
  EXPECT_EQ(q.total(), 3);
  q.close("bob");
  EXPECT_EQ(q.of("bob"), 0);
  EXPECT_EQ(q.total(), 2);
}

TEST(RetryAfter, RoundsUpToWholeSecondsAtLeastOne) {
  EXPECT_EQ(retryAfterSeconds(1), 1);
  EXPECT_EQ(retryAfterSeconds(1000), 1);
  EXPECT_EQ(retryAfterSeconds(1001), 2);
  EXPECT_EQ(retryAfterSeconds(0), 1);
}

}  // namespace
}  // namespace callmesh::notification
