// sofia_clock against sofia-sip itself: su_now() and su_timer follow the monotonic clock, whatever
// the wall clock does. Fake clocks, so no test ever steps the machine's clock.
#include "services/ingress/sofia_clock.h"

#include <sofia-sip/su_wait.h>

#include <cstdint>

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

constexpr int64_t kMs = 1000000;
constexpr int64_t kS = 1000 * kMs;
constexpr unsigned long kNtpEpochOffsetS = 2208988800UL;

int64_t fake_wall_ns = 0;
int64_t fake_mono_ns = 0;
int64_t fakeWall() { return fake_wall_ns; }
int64_t fakeMonotonic() { return fake_mono_ns; }
constexpr sofia_clock::Sources kFakeClocks{fakeWall, fakeMonotonic};

class SofiaClock : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_wall_ns = 1800000000 * kS;  // 2027-01-15
    fake_mono_ns = 5000 * kS;
    sofia_clock::followMonotonicClock(kFakeClocks);
  }
  void TearDown() override { sofia_clock::restoreWallClock(); }
};

TEST_F(SofiaClock, StartsAtTheWallClockOnNtpsEpoch) {
  su_time_t now = su_now();
  EXPECT_EQ(now.tv_sec, 1800000000UL + kNtpEpochOffsetS);
  EXPECT_EQ(now.tv_usec, 0UL);
  EXPECT_EQ(su_nanotime(nullptr), (1800000000ULL + kNtpEpochOffsetS) * 1000000000ULL);
}

TEST_F(SofiaClock, AdvancesWithTheMonotonicClockWhateverTheWallClockDoes) {
  su_time_t start = su_now();
  fake_wall_ns -= 3600 * kS;       // the wall clock stepped an hour back
  fake_mono_ns += 250 * kMs;       // while 250 ms went by
  sofia_clock::correctForSteps();  // the event loop's turn
  su_time_t later = su_now();
  EXPECT_EQ(su_duration(later, start), 250);
  fake_wall_ns += 7200 * kS;  // and two hours forward
  fake_mono_ns += 1 * kS;
  sofia_clock::correctForSteps();  // the event loop's turn
  EXPECT_EQ(su_duration(su_now(), later), 1000);
  su_time64_t ns = 0;
  EXPECT_EQ(su_nanotime(&ns), ns);
  EXPECT_EQ(ns, (1800000000ULL + kNtpEpochOffsetS) * 1000000000ULL + 1250000000ULL);
}

// A phone's ring step of 20 s (a seed's "ring for N seconds") through a real su_root: the wall
// clock stepping back a minute meanwhile does not hold the timeout back, and a step forward does
// not bring it early.
TEST_F(SofiaClock, ATimerFiresAfterItsDurationOnTheMonotonicClock) {
  ASSERT_EQ(su_init(), 0);
  su_root_t* root = su_root_create(nullptr);
  ASSERT_NE(root, nullptr);
  su_timer_t* ring = su_timer_create(su_root_task(root), 20000);
  int fired = 0;
  su_timer_set(
      ring, [](void*, su_timer_t*, void* count) { ++*static_cast<int*>(count); }, &fired);
  fake_wall_ns += 3600 * kS;       // a step forward: nothing is due yet
  sofia_clock::correctForSteps();  // the event loop's turn
  su_root_step(root, 0);
  EXPECT_EQ(fired, 0);
  fake_wall_ns -= 3660 * kS;  // a minute behind where it started
  fake_mono_ns += 19999 * kMs;
  sofia_clock::correctForSteps();  // the event loop's turn
  su_root_step(root, 0);
  EXPECT_EQ(fired, 0);
  fake_mono_ns += 2 * kMs;
  sofia_clock::correctForSteps();  // the event loop's turn
  su_root_step(root, 0);
  EXPECT_EQ(fired, 1);
  su_timer_destroy(ring);
  su_root_destroy(root);
  su_deinit();
}

TEST_F(SofiaClock, FollowingAgainWithTheSameClocksKeepsTheAnchor) {
  fake_mono_ns += 40 * kMs;
  fake_wall_ns += 3600 * kS;  // the wall clock moved meanwhile
  sofia_clock::correctForSteps();
  su_time_t before = su_now();
  sofia_clock::followMonotonicClock(kFakeClocks);
  sofia_clock::correctForSteps();
  EXPECT_EQ(su_duration(su_now(), before), 0);  // a second SipProxy::start() steps nothing
}

TEST(SofiaClockRestore, SofiasOwnClockIsTheWallClockAgain) {
  fake_wall_ns = 0;
  fake_mono_ns = 0;
  sofia_clock::followMonotonicClock(kFakeClocks);
  EXPECT_EQ(su_now().tv_sec, kNtpEpochOffsetS);  // 1970 on the fake wall clock
  sofia_clock::restoreWallClock();
  EXPECT_GT(su_now().tv_sec, kNtpEpochOffsetS + 1700000000UL);  // the machine's clock, 2023 on
}

}  // namespace
}  // namespace callmesh::ingress
