// seed 004_ee4e98a6a7f6781b.txt: at most 50 calls up at once per number. A call that meets the
// cap waits a short while for a slot this ingress frees, then hears busy (cap_waits.h).
#include "services/ingress/cap_waits.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

using Verdict = CapWaits::Verdict;
// refused({call, number, offered at, releases before the acquire went out, now, cap_wait_ms})

TEST(CapWaits, NoWaitConfiguredTurnsTheCallerAwayAtOnce) {
  CapWaits waits;
  EXPECT_EQ(waits.refused({"c1", "+15550100", 1000, 0, 1002, 0}), Verdict::Busy);
  EXPECT_EQ(waits.waiting(), 0u);
}

TEST(CapWaits, ARefusedCallWaitsAndTheNumbersNextReleaseWakesIt) {
  CapWaits waits;
  EXPECT_EQ(waits.refused({"c1", "+15550100", 1000, 0, 1003, 200}), Verdict::Wait);
  EXPECT_EQ(waits.refused({"c2", "+15550100", 1001, 0, 1003, 200}), Verdict::Wait);
  EXPECT_EQ(waits.waiting(), 2u);
  // Another number's release wakes nobody here.
  EXPECT_EQ(waits.released("+15550199"), std::nullopt);
  // The longest waiting first, one call per freed slot.
  EXPECT_EQ(waits.released("+15550100"), "c1");
  EXPECT_EQ(waits.waiting(), 1u);
  EXPECT_EQ(waits.released("+15550100"), "c2");
  EXPECT_EQ(waits.released("+15550100"), std::nullopt);
  EXPECT_EQ(waits.waiting(), 0u);
}

TEST(CapWaits, AReleaseWhileTheAcquireWasInFlightAsksAgainAtOnce) {
  CapWaits waits;
  uint64_t before = waits.releaseCount();                // c1's acquire goes out...
  EXPECT_EQ(waits.released("+15550100"), std::nullopt);  // ...a slot is freed, nobody waits yet
  // The limiter may have decided before the release reached it: ask again, carrying it.
  EXPECT_EQ(waits.refused({"c1", "+15550100", 1000, before, 1006, 200}), Verdict::AskAgain);
  // Asked again after it (even within the same millisecond): the count it met held the
  // release; it waits.
  EXPECT_EQ(waits.refused({"c1", "+15550100", 1000, waits.releaseCount(), 1006, 200}),
            Verdict::Wait);
  // A release of another number leaves a call waiting.
  EXPECT_EQ(waits.refused({"c2", "+15550199", 1000, before, 1008, 200}), Verdict::Wait);
}

TEST(CapWaits, TheWaitCountsFromTheInviteAndEndsAtItsDeadline) {
  CapWaits waits;
  EXPECT_EQ(waits.refused({"late", "+15550100", 1000, 0, 1200, 200}), Verdict::Busy);
  EXPECT_EQ(waits.refused({"c1", "+15550100", 1000, 0, 1002, 200}), Verdict::Wait);
  EXPECT_EQ(waits.refused({"c2", "+15550100", 1100, 0, 1102, 200}), Verdict::Wait);
  std::vector<std::string> over;
  waits.expired(1199, over);
  EXPECT_TRUE(over.empty());
  waits.expired(1200, over);
  EXPECT_EQ(over, (std::vector<std::string>{"c1"}));
  EXPECT_EQ(waits.waiting(), 1u);
  waits.expired(1300, over);
  EXPECT_EQ(over, (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(waits.released("+15550100"), std::nullopt);
}

TEST(CapWaits, WaitingCallsAreBoundedTheRestHearBusyAtOnce) {
  CapWaits waits(2);
  EXPECT_EQ(waits.refused({"c1", "+15550100", 1000, 0, 1001, 200}), Verdict::Wait);
  EXPECT_EQ(waits.refused({"c2", "+15550101", 1000, 0, 1001, 200}), Verdict::Wait);
  EXPECT_EQ(waits.refused({"c3", "+15550102", 1000, 0, 1001, 200}), Verdict::Busy);
  EXPECT_EQ(waits.released("+15550100"), "c1");
  EXPECT_EQ(waits.refused({"c3", "+15550102", 1000, 0, 1011, 200}), Verdict::Wait);
}

TEST(CapWaits, AWokenCallThatIsGoneHandsTheSlotToTheNext) {
  CapWaits waits;
  waits.refused({"gone", "+15550100", 1000, 0, 1001, 200});
  waits.refused({"c2", "+15550100", 1000, 0, 1001, 200});
  EXPECT_EQ(waits.released("+15550100"), "gone");
  EXPECT_EQ(waits.wakeNext("+15550100"), "c2");
  EXPECT_EQ(waits.wakeNext("+15550100"), std::nullopt);
}

}  // namespace
}  // namespace callmesh::ingress
