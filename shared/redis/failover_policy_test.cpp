// Issue 18 item 1: which replies make the client find the primary again, how Sentinel's and
// ROLE's answers read, and the reconnect backoff schedule.
#include "shared/redis/failover_policy.h"

#include <gtest/gtest.h>

namespace callmesh::redis {
namespace {

RedisReply errorReply(std::string text) {
  RedisReply r;
  r.type = RedisReply::Type::Error;
  r.text = std::move(text);
  return r;
}

TEST(FailoverPolicy, DemotedOrLoadingServersMakeTheClientReconnect) {
  EXPECT_TRUE(
      demandsReconnect(errorReply("READONLY You can't write against a read only replica.")));
  EXPECT_TRUE(demandsReconnect(errorReply("LOADING Redis is loading the dataset in memory")));
  EXPECT_TRUE(demandsReconnect(errorReply("MASTERDOWN Link with MASTER is down")));
}

TEST(FailoverPolicy, OrdinaryAnswersKeepTheConnection) {
  EXPECT_FALSE(demandsReconnect(errorReply("NOSCRIPT No matching script.")));
  EXPECT_FALSE(demandsReconnect(errorReply("NOPERM this user has no permissions")));
  EXPECT_FALSE(demandsReconnect(errorReply("WRONGTYPE Operation against a key")));
  EXPECT_FALSE(demandsReconnect(RedisReply::ofString("READONLY")));  // data, not an error
  EXPECT_FALSE(demandsReconnect(RedisReply::ofInteger(1)));
}

TEST(FailoverPolicy, RoleSaysWhetherTheServerIsThePrimary) {
  EXPECT_TRUE(isPrimaryRole(RedisReply::ofArray(
      {RedisReply::ofString("master"), RedisReply::ofInteger(42), RedisReply::ofArray({})})));
  EXPECT_FALSE(isPrimaryRole(RedisReply::ofArray(
      {RedisReply::ofString("slave"), RedisReply::ofString("127.0.0.1"),
       RedisReply::ofInteger(6379), RedisReply::ofString("connected"), RedisReply::ofInteger(1)})));
  EXPECT_FALSE(isPrimaryRole(RedisReply::ofArray({})));
  EXPECT_FALSE(isPrimaryRole(errorReply("NOPERM")));
}

TEST(FailoverPolicy, SentinelNamesThePrimaryAsHostAndPort) {
  auto a = primaryFromSentinelReply(
      RedisReply::ofArray({RedisReply::ofString("10.0.0.7"), RedisReply::ofString("6380")}), "cm");
  ASSERT_TRUE(a.ok()) << a.error().describe();
  EXPECT_EQ(a->host, "10.0.0.7");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->text(), "10.0.0.7:6380");
}

TEST(FailoverPolicy, AnUnknownMasterNameIsAConfigMistake) {
  auto a = primaryFromSentinelReply(RedisReply::nil(), "typo");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(a.error().context.find("typo"), std::string::npos);
}

TEST(FailoverPolicy, MalformedSentinelAnswersAreRefused) {
  for (const auto& bad :
       {RedisReply::ofArray({RedisReply::ofString("h"), RedisReply::ofString("0")}),
        RedisReply::ofArray({RedisReply::ofString("h"), RedisReply::ofString("70000")}),
        RedisReply::ofArray({RedisReply::ofString("h"), RedisReply::ofString("80a")}),
        RedisReply::ofArray({RedisReply::ofString(""), RedisReply::ofString("6379")}),
        RedisReply::ofArray({RedisReply::ofString("h")}), RedisReply::ofInteger(3)}) {
    EXPECT_FALSE(primaryFromSentinelReply(bad, "cm").ok());
  }
  auto refused = primaryFromSentinelReply(errorReply("NOAUTH Authentication required."), "cm");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Disconnected);
}

TEST(ReconnectBackoff, DoublesFromMinUpToMaxAtTheTopOfTheJitter) {
  ReconnectBackoff b(50, 1000, [] { return 0.999999; });  // the top of [0.5, 1.0)
  std::vector<int64_t> waits;
  for (int i = 0; i < 8; ++i) waits.push_back(b.failed());
  EXPECT_EQ(waits, (std::vector<int64_t>{49, 99, 199, 399, 799, 999, 999, 999}));
  EXPECT_EQ(b.failures(), 8);
}

TEST(ReconnectBackoff, JitterScalesEachWaitBetweenHalfAndAll) {
  ReconnectBackoff low(100, 800, [] { return 0.0; });
  EXPECT_EQ(low.failed(), 50);
  EXPECT_EQ(low.failed(), 100);
  EXPECT_EQ(low.failed(), 200);
  EXPECT_EQ(low.failed(), 400);
  EXPECT_EQ(low.failed(), 400);  // ceiling 800, halved
  ReconnectBackoff mid(100, 800, [] { return 0.5; });
  EXPECT_EQ(mid.failed(), 75);
}

TEST(ReconnectBackoff, ASuccessStartsTheScheduleAgain) {
  ReconnectBackoff b(10, 10000, [] { return 0.0; });
  for (int i = 0; i < 5; ++i) (void)b.failed();
  b.succeeded();
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.failed(), 5);
}

TEST(ReconnectBackoff, NeverOverflowsAfterManyFailures) {
  ReconnectBackoff b(1, 2000, [] { return 0.0; });
  int64_t last = 0;
  for (int i = 0; i < 10000; ++i) last = b.failed();
  EXPECT_EQ(last, 1000);
}

TEST(ReconnectBackoff, BadBoundsAreMadeSane) {
  ReconnectBackoff b(0, -5, [] { return 0.0; });  // min at least 1, max at least min
  EXPECT_EQ(b.failed(), 0);                       // half of 1 ms, rounded down: retry at once
  ReconnectBackoff c(200, 100, [] { return 0.999999; });
  EXPECT_EQ(c.failed(), 199);
  EXPECT_EQ(c.failed(), 199);
}

}  // namespace
}  // namespace callmesh::redis
