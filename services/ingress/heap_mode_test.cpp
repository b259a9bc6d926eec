// HeapGrowthWatch: when the ingress's heap counts as growing (huge pages, pages kept) and when as
// steady (no new huge pages, free pages returned), from one reading of stats.active a second.
#include "services/ingress/heap_mode.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

using Mode = HeapGrowthWatch::Mode;
constexpr uint64_t kMB = 1ull << 20;

HeapGrowthWatch::Limits limits() {
  HeapGrowthWatch::Limits l;
  l.growth_bytes = 16 * kMB;
  l.window_ms = 10'000;
  l.steady_after_ms = 30'000;
  l.steady_floor_bytes = 64 * kMB;
  return l;
}

// Feeds one reading a second from `from_s` to `to_s` (inclusive) at `active`; returns the last
// change seen, if any.
std::optional<Mode> holdAt(HeapGrowthWatch& w, int64_t from_s, int64_t to_s, uint64_t active) {
  std::optional<Mode> last;
  for (int64_t s = from_s; s <= to_s; ++s) {
    if (auto m = w.sample(s * 1000, active)) last = m;
  }
  return last;
}

TEST(HeapGrowthWatch, StartsGrowingAndTurnsSteadyAfterThirtySecondsWithoutGrowth) {
  HeapGrowthWatch w(limits());
  EXPECT_EQ(w.mode(), Mode::Growing);
  EXPECT_FALSE(holdAt(w, 0, 29, 100 * kMB));
  EXPECT_EQ(w.mode(), Mode::Growing);
  EXPECT_EQ(w.sample(30'000, 100 * kMB), Mode::Steady);
  EXPECT_FALSE(w.sample(31'000, 100 * kMB));  // a change is reported once
}

TEST(HeapGrowthWatch, AnIdleIngressBelowTheFloorStaysGrowingForItsFirstCalls) {
  HeapGrowthWatch w(limits());
  // A fresh ingress (~20 MB) waiting for traffic: nothing to give back, huge pages kept.
  EXPECT_FALSE(holdAt(w, 0, 300, 20 * kMB));
  EXPECT_EQ(w.mode(), Mode::Growing);
  // Its first calls grow the heap past the floor; steady once that has held 30 s.
  EXPECT_FALSE(holdAt(w, 301, 310, 200 * kMB));
  EXPECT_EQ(holdAt(w, 311, 340, 200 * kMB), Mode::Steady);
}

TEST(HeapGrowthWatch, ALoadThatKeepsGrowingTheHeapKeepsHugePages) {
  HeapGrowthWatch w(limits());
  // A fresh ingress under load: 18 KB a call at 1,000 calls/s, ~18 MB a second, for 32 s.
  for (int64_t s = 0; s <= 32; ++s) EXPECT_FALSE(w.sample(s * 1000, (100 + 18 * s) * kMB));
  // Flat from there. The window still holds a reading 16 MB lower until 41 s (31 s: 658 MB), so
  // the last growth is at 41 s and the heap is steady 30 s later.
  EXPECT_FALSE(holdAt(w, 33, 70, 676 * kMB));
  EXPECT_EQ(w.sample(71'000, 676 * kMB), Mode::Steady);
}

TEST(HeapGrowthWatch, SteadyGoesBackToGrowingWhenTheHeapRisesSixteenMegabytesWithinTheWindow) {
  HeapGrowthWatch w(limits());
  ASSERT_EQ(holdAt(w, 0, 30, 500 * kMB), Mode::Steady);
  // Sofia's 32-s-late frees and a steady rate move `active` by a few MB: still steady.
  EXPECT_FALSE(w.sample(31'000, 510 * kMB));
  EXPECT_FALSE(w.sample(32'000, 505 * kMB));
  // Load past the busiest 32 s so far.
  EXPECT_EQ(w.sample(33'000, 517 * kMB), Mode::Growing);
  EXPECT_EQ(w.mode(), Mode::Growing);
}

TEST(HeapGrowthWatch, ASlowRiseSpreadWiderThanTheWindowIsNotGrowth) {
  HeapGrowthWatch w(limits());
  ASSERT_EQ(holdAt(w, 0, 30, 500 * kMB), Mode::Steady);
  // 1 MB a second: 10 MB over any 10 s window, under the 16 MB that counts as growth.
  for (int64_t s = 31; s <= 120; ++s) {
    EXPECT_FALSE(w.sample(s * 1000, (500 + (s - 30)) * kMB)) << "at " << s << " s";
  }
}

TEST(HeapGrowthWatch, RegrowthAfterALullUsesHugePagesAgain) {
  HeapGrowthWatch w(limits());
  ASSERT_EQ(holdAt(w, 0, 30, 800 * kMB), Mode::Steady);
  // The load stops: sofia frees the last 32 s of calls, the decay returns the pages.
  EXPECT_FALSE(holdAt(w, 31, 100, 300 * kMB));
  // The load comes back: the heap climbs back to where it was; that is growth again.
  EXPECT_EQ(w.sample(101'000, 320 * kMB), Mode::Growing);
}

TEST(HeapGrowthWatch, AClockThatStepsBackStartsTheWindowAgain) {
  HeapGrowthWatch w(limits());
  ASSERT_EQ(holdAt(w, 100, 130, 500 * kMB), Mode::Steady);
  // A reading from before the last: the window restarts at it, and a low from the future does
  // not make the next reading look like growth.
  EXPECT_FALSE(w.sample(50'000, 500 * kMB));
  EXPECT_FALSE(w.sample(51'000, 505 * kMB));
  EXPECT_EQ(w.mode(), Mode::Steady);
}

}  // namespace
}  // namespace callmesh::ingress
