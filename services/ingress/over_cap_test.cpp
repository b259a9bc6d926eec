// seed 004_ee4e98a6a7f6781b.txt: at most 50 calls up at once per number. A call that meets the
// cap waits up to ingress.cap_wait_ms for a slot one of this ingress's calls frees (cap_waits.h):
// admitted if one is freed in time, busy if not, and never more calls up than the cap.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "services/ingress/call_control_fixture.h"

namespace callmesh::ingress {
namespace {

using namespace test_fixture;  // NOLINT(google-build-using-namespace): the fixture's vocabulary

class OverCapTest : public CallControlTest {
 protected:
  // c1 holds the number's last slot and is answered.
  Call& answeredCall() {
    Call& call = offer("c1");
    router_.reply(lastId(router_), ring({"sip:a@127.0.0.1"}));
    limiter_.reply(lastId(limiter_), grant(true, 50, 50));
    control_.branchFinal(call, 0, 200, "OK");
    sip_.finished(call, 0);
    sip_.done.clear();
    return call;
  }
  // A new call the limiter refuses (its router answer in): it waits at the cap.
  Call& refusedCall(const std::string& call_id) {
    Call& call = offer(call_id);
    router_.reply(lastId(router_), ring({"sip:b@127.0.0.1"}));
    limiter_.reply(lastId(limiter_), grant(false, 50, 50));
    return call;
  }
};

TEST_F(OverCapTest, ACallEndingOnTheNumberGivesItsSlotToTheCallWaitingAtTheCap) {
  Call& c1 = answeredCall();
  clock_.advance(5);
  refusedCall("c2");
  EXPECT_TRUE(sip_.done.empty());
  size_t asked = limiter_.sent().size();
  clock_.advance(30);
  control_.bye(c1, /*from_caller=*/true);
  // c2 asks again at once, carrying c1's release ahead of its acquire.
  ASSERT_EQ(limiter_.sent().size(), asked + 1);
  EXPECT_EQ(acquiredCall(limiter_.sent().back().payload), "c2");
  EXPECT_EQ(releasesIn(limiter_.sent().back().payload), (std::vector<std::string>{"c1"}));
  limiter_.reply(lastId(limiter_), grant(true, 50, 50));
  EXPECT_EQ(sip_.done, (std::vector<std::string>{"fork 0"}));
  EXPECT_EQ(metrics_.cap_waits_admitted.Value(), 1);
  EXPECT_EQ(metrics_.cap_rejections.Value(), 0);
  EXPECT_EQ(metrics_.cap_waiting.Value(), 0);
  EXPECT_EQ(metrics_.held_slots.Value(), 1);  // c2's; c1's went back
}

TEST_F(OverCapTest, ASlotFreedWhileTheRefusedAcquireWasInFlightIsAskedForAtOnce) {
  Call& c1 = answeredCall();
  offer("c2");  // its acquire is in flight...
  uint64_t c2_acquire = lastId(limiter_);
  control_.bye(c1, /*from_caller=*/true);  // ...when c1 ends: near the cap, its release goes now
  EXPECT_EQ(releasesIn(limiter_.sent().back().payload), (std::vector<std::string>{"c1"}));
  size_t asked = limiter_.sent().size();
  limiter_.reply(c2_acquire, grant(false, 50, 50));  // decided before the release came
  ASSERT_EQ(limiter_.sent().size(), asked + 1);
  EXPECT_EQ(acquiredCall(limiter_.sent().back().payload), "c2");
  EXPECT_EQ(metrics_.cap_waiting.Value(), 0);  // it never waited
  limiter_.reply(lastId(limiter_), grant(true, 50, 50));
  EXPECT_EQ(metrics_.held_slots.Value(), 1);
}

TEST_F(OverCapTest, ACallerWhoHangsUpWhileWaitingIsNotAskedForTheNextOneIs) {
  Call& c1 = answeredCall();
  Call& c2 = refusedCall("c2");
  refusedCall("c3");
  EXPECT_EQ(metrics_.cap_waiting.Value(), 2);
  control_.callerCancelled(c2);
  size_t asked = limiter_.sent().size();
  control_.bye(c1, /*from_caller=*/true);
  ASSERT_EQ(limiter_.sent().size(), asked + 1);
  EXPECT_EQ(acquiredCall(limiter_.sent().back().payload), "c3");
  EXPECT_EQ(metrics_.cap_waiting.Value(), 0);
}

TEST_F(OverCapTest, OneFreedSlotWakesOneWaitingCallInArrivalOrder) {
  Call& c1 = answeredCall();
  refusedCall("c2");
  refusedCall("c3");
  size_t asked = limiter_.sent().size();
  control_.bye(c1, /*from_caller=*/true);
  ASSERT_EQ(limiter_.sent().size(), asked + 1);  // c2 only: one slot, one call
  EXPECT_EQ(acquiredCall(limiter_.sent().back().payload), "c2");
  limiter_.reply(lastId(limiter_), grant(true, 50, 50));
  clock_.advance(200);
  control_.onTick();  // c3's wait is over, no second slot came
  EXPECT_EQ(sip_.done, (std::vector<std::string>{"fork 0", "reject 486 Busy Here"}));
  EXPECT_EQ(metrics_.cap_waits_admitted.Value(), 1);
  EXPECT_EQ(metrics_.cap_waits_busy.Value(), 1);
}

TEST_F(OverCapTest, AWokenCallRefusedAgainWaitsOnUntilItsDeadline) {
  // Another ingress took the slot first: the cap holds; c2 waits for the next one.
  Call& c1 = answeredCall();
  refusedCall("c2");
  clock_.advance(50);
  control_.bye(c1, /*from_caller=*/true);
  clock_.advance(1);
  limiter_.reply(lastId(limiter_), grant(false, 50, 50));
  EXPECT_EQ(metrics_.cap_waiting.Value(), 1);
  EXPECT_TRUE(sip_.done.empty());
  clock_.advance(149);
  control_.onTick();
  EXPECT_EQ(sip_.done, (std::vector<std::string>{"reject 486 Busy Here"}));
}

TEST_F(OverCapTest, WithNoWaitConfiguredTheCallerIsTurnedAwayAtOnce) {
  config_.ingress.cap_wait_ms = 0;  // as Kamailio's dialog-profile cap does
  answeredCall();
  refusedCall("c2");
  EXPECT_EQ(sip_.done, (std::vector<std::string>{"reject 486 Busy Here"}));
  EXPECT_EQ(metrics_.cap_waits_busy.Value(), 0);  // it never waited
  EXPECT_EQ(metrics_.cap_rejections.Value(), 1);
}

}  // namespace
}  // namespace callmesh::ingress
