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

// Issue 16: new calls have their own limit per source, apart from the request rate.
SourceGuard newCallGuard(double new_call_rate, double new_call_burst, size_t tracked = 1000) {
  SourceGuardSettings settings;
  settings.trusted = {"0.0.0.0/0"};
  settings.requests_per_second = 5000;
  settings.burst = 10000;
  settings.ban_ms = 30000;
  settings.max_tracked_sources = tracked;
  settings.new_calls_per_second = new_call_rate;
  settings.new_call_burst = new_call_burst;
  return SourceGuard::create(settings).value();
}

using NewCall = SourceGuard::NewCall;

TEST(SourceGuardNewCalls, OverTheBurstIsRefusedWithRetryAfterThenBannedWhenItKeepsOn) {
  auto g = newCallGuard(/*rate=*/10, /*burst=*/4);
  int retry = -1;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(g.checkNewCall("10.0.0.66", 0, retry), NewCall::Allow);
  EXPECT_EQ(retry, 0);
  // The next four get 503 (the refusal budget is a burst's worth), each saying when to retry.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(g.checkNewCall("10.0.0.66", 0, retry), NewCall::Refused) << i;
    EXPECT_EQ(retry, 1);
  }
  // It kept going: its new calls are dropped for ban_ms, without a reply.
  EXPECT_EQ(g.checkNewCall("10.0.0.66", 0, retry), NewCall::Banned);
  EXPECT_EQ(g.checkNewCall("10.0.0.66", 29999, retry), NewCall::Banned);
  EXPECT_EQ(g.newCallBans(), 1u);
  // Its in-dialog requests (check) are untouched, and another source is served.
  EXPECT_EQ(g.check("10.0.0.66", 29999), SourceGuard::Verdict::Allow);
  EXPECT_EQ(g.checkNewCall("10.0.0.10", 29999, retry), NewCall::Allow);
  // The ban ends with full buckets.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(g.checkNewCall("10.0.0.66", 30000, retry), NewCall::Allow);
  EXPECT_EQ(g.checkNewCall("10.0.0.66", 30000, retry), NewCall::Refused);
  EXPECT_EQ(g.bans(), 0u);  // the request-rate limiter never fired
}

TEST(SourceGuardNewCalls, RetryAfterSaysWhenTheBucketHasACallAgain) {
  auto g = newCallGuard(/*rate=*/0.25, /*burst=*/1);  // one new call every 4 s
  int retry = 0;
  EXPECT_EQ(g.checkNewCall("10.0.0.5", 0, retry), NewCall::Allow);
  EXPECT_EQ(g.checkNewCall("10.0.0.5", 1000, retry), NewCall::Refused);
  EXPECT_EQ(retry, 3);  // 0.25 token refilled, 0.75 to go at 0.25/s
  EXPECT_EQ(g.checkNewCall("10.0.0.5", 4000, retry), NewCall::Allow);
}

TEST(SourceGuardNewCalls, SustainedRateAtTheLimitIsNeverRefused) {
  auto g = newCallGuard(/*rate=*/100, /*burst=*/10);
  int retry = 0;
  for (int64_t t = 0; t < 20000; t += 10) {  // exactly 100 new calls/s for 20 s
    EXPECT_EQ(g.checkNewCall("10.0.0.10", t, retry), NewCall::Allow) << t;
  }
}

TEST(SourceGuardNewCalls, UpToTwiceTheRateIsRefusedInPartButNeverBanned) {
  // A trunk over its limit but under twice it: the excess gets 503 (the gateway tries another
  // ingress) and the rest is served; the refusal budget refills as fast as it is spent.
  auto g = newCallGuard(/*rate=*/100, /*burst=*/10);
  int retry = 0;
  int allowed = 0, refused = 0;
  for (int64_t t = 0; t < 20000; t += 6) {  // ~167 new calls/s for 20 s
    auto verdict = g.checkNewCall("10.0.0.10", t, retry);
    ASSERT_NE(verdict, NewCall::Banned) << t;
    (verdict == NewCall::Allow ? allowed : refused)++;
  }
  EXPECT_NEAR(allowed, 2010, 5);  // the burst plus 100/s
  EXPECT_EQ(allowed + refused, 3334);
  EXPECT_EQ(g.newCallBans(), 0u);
}

TEST(SourceGuardNewCalls, AFloodIsCutOffWithinABurstOfRefusals) {
  // The flood test's numbers at the shipped defaults: ~3,300 new calls/s against 500/s, 1000.
  auto g = newCallGuard(/*rate=*/500, /*burst=*/1000);
  int retry = 0;
  int64_t banned_at = -1;
  int allowed = 0, refused = 0;
  for (int i = 0; i < 10000 && banned_at < 0; ++i) {
    int64_t t = i * 3 / 10;  // 10 per 3 ms
    switch (g.checkNewCall("127.0.0.66", t, retry)) {
      case NewCall::Allow:
        ++allowed;
        break;
      case NewCall::Refused:
        ++refused;
        break;
      case NewCall::Banned:
        banned_at = t;
        break;
    }
  }
  ASSERT_GE(banned_at, 0);
  EXPECT_LT(banned_at, 1000);  // well within the flood test's 2 s
  EXPECT_LE(allowed, 1000 + 500 * (banned_at + 1) / 1000 + 1);
  EXPECT_LE(refused, 1000 + 500 * (banned_at + 1) / 1000 + 1);
}

TEST(SourceGuardNewCalls, NewCallStateLivesInTheBoundedTable) {
  auto g = newCallGuard(/*rate=*/1, /*burst=*/1, /*tracked=*/3);
  int retry = 0;
  for (int i = 0; i < 100; ++i) {
    std::string ip = "10.2.0." + std::to_string(i);
    EXPECT_EQ(g.check(ip, i), SourceGuard::Verdict::Allow);
    EXPECT_EQ(g.checkNewCall(ip, i, retry), NewCall::Allow);
    EXPECT_EQ(g.checkNewCall(ip, i, retry), NewCall::Refused);
    EXPECT_LE(g.trackedSources(), 3u);
  }
}

}  // namespace
}  // namespace callmesh::ingress
