#include "services/ingress/source_guard.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

SourceGuard guardWith(std::vector<std::string> trusted, double rate = 10, double burst = 5,
                      int64_t ban_ms = 1000) {
  auto g = SourceGuard::create({std::move(trusted), rate, burst, ban_ms, 1000});
  EXPECT_TRUE(g.ok()) << g.error().describe();
  return std::move(g.value());
}

TEST(SourceGuard, OnlyTrustedNetworksAreServed) {
  auto g = guardWith({"10.1.0.0/16", "2001:db8::/32"});
  EXPECT_EQ(g.check("10.1.200.3", 0), SourceGuard::Verdict::Allow);
  EXPECT_EQ(g.check("10.2.0.1", 0), SourceGuard::Verdict::Untrusted);
  EXPECT_EQ(g.check("2001:db8::7", 0), SourceGuard::Verdict::Allow);
  EXPECT_EQ(g.check("2001:db9::7", 0), SourceGuard::Verdict::Untrusted);
  EXPECT_EQ(g.check("not-an-ip", 0), SourceGuard::Verdict::Untrusted);
}

TEST(SourceGuard, EmptyListMeansLoopbackOnly) {
  auto g = guardWith({});
  EXPECT_EQ(g.check("127.0.0.10", 0), SourceGuard::Verdict::Allow);
  EXPECT_EQ(g.check("::1", 0), SourceGuard::Verdict::Allow);
  EXPECT_EQ(g.check("192.168.1.1", 0), SourceGuard::Verdict::Untrusted);
}

TEST(SourceGuard, FloodingSourceIsBannedWhileOthersAreServed) {
  auto g = guardWith({"127.0.0.0/8"}, /*rate=*/10, /*burst=*/5, /*ban_ms=*/1000);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(g.check("127.0.0.66", 0), SourceGuard::Verdict::Allow);
  EXPECT_EQ(g.check("127.0.0.66", 0), SourceGuard::Verdict::RateLimited);
  EXPECT_EQ(g.check("127.0.0.66", 500), SourceGuard::Verdict::Banned);
  EXPECT_EQ(g.check("127.0.0.10", 500), SourceGuard::Verdict::Allow);  // the legitimate gateway
  EXPECT_EQ(g.bans(), 1u);
  EXPECT_EQ(g.check("127.0.0.66", 1001), SourceGuard::Verdict::Allow);  // ban over
}

TEST(SourceGuard, SustainedRateWithinLimitIsNeverBanned) {
  auto g = guardWith({"127.0.0.0/8"}, /*rate=*/10, /*burst=*/5, 1000);
  for (int64_t t = 0; t < 10000; t += 100) {  // exactly 10 requests/s for 10 s
    EXPECT_EQ(g.check("127.0.0.10", t), SourceGuard::Verdict::Allow) << t;
  }
}

TEST(SourceGuard, TrackedSourcesStayBounded) {
  auto g = SourceGuard::create({{"0.0.0.0/0"}, 10, 5, 1000, 100}).value();
  for (int i = 0; i < 1000; ++i)
    g.check("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), i * 10000);
  EXPECT_LE(g.trackedSources(), 100u);
}

// Issue 16: the table is an LRU. A sweep of new addresses forgets the least recently seen, never
// a source that keeps sending (here a banned flooder, which stays banned).
TEST(SourceGuard, NewSourcesPastTheBoundForgetTheLeastRecentlySeen) {
  auto g = SourceGuard::create({{"0.0.0.0/0"}, 10, 2, 60000, 3}).value();
  for (int i = 0; i < 2; ++i) EXPECT_EQ(g.check("10.0.0.66", 0), SourceGuard::Verdict::Allow);
  EXPECT_EQ(g.check("10.0.0.66", 0), SourceGuard::Verdict::RateLimited);
  for (int i = 1; i <= 100; ++i) {
    EXPECT_EQ(g.check("10.1.0." + std::to_string(i), i), SourceGuard::Verdict::Allow);
    EXPECT_EQ(g.check("10.0.0.66", i), SourceGuard::Verdict::Banned) << i;
    EXPECT_LE(g.trackedSources(), 3u);
  }
  // 10.1.0.99 and 10.1.0.100 are tracked (one token spent each); 10.1.0.1 was forgotten.
  EXPECT_EQ(g.check("10.1.0.100", 101), SourceGuard::Verdict::Allow);
  EXPECT_EQ(g.check("10.1.0.100", 101), SourceGuard::Verdict::RateLimited);
  EXPECT_EQ(g.check("10.1.0.1", 101), SourceGuard::Verdict::Allow);
  EXPECT_EQ(g.check("10.1.0.1", 101), SourceGuard::Verdict::Allow);
  EXPECT_EQ(g.trackedSources(), 3u);
}

TEST(SourceGuard, BadCidrIsAnError) {
  auto g = SourceGuard::create({{"10.0.0.0/40"}, 10, 5, 1000, 100});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("10.0.0.0/40"), std::string::npos);
}

}  // namespace
}  // namespace callmesh::ingress
