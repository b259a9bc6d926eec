#include "services/concurrency-limiter/slot_ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shared/testing/mock_redis_client.h"

namespace callmesh::concurrency_limiter {
namespace {

using redis::RedisReply;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Return;
using ::testing::StrictMock;

RedisReply pair(int64_t a, int64_t b) {
  return RedisReply::ofArray({RedisReply::ofInteger(a), RedisReply::ofInteger(b)});
}

// seed 004_ee4e98a6a7f6781b.txt: at most 50 simultaneous calls per company number.
TEST(SlotLedger, AcquirePassesCapCallIdAndLeaseAndReadsGrant) {
  StrictMock<testing::MockRedisClient> redis;
  CapPolicy caps(50, {{"+15550100", 60}});
  SlotLedger ledger(redis, caps, 30000);
  EXPECT_CALL(redis, evalScript(_, ElementsAre("cm:{+15550100}:slots"),
                                ElementsAre("60", "call-1", "30000")))
      .WillOnce(Return(pair(1, 7)));
  auto st = ledger.acquire("+15550100", "call-1");
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->granted);
  EXPECT_EQ(st->in_use, 7);
  EXPECT_EQ(st->cap, 60);
}

TEST(SlotLedger, DefaultCapIsFifty) {
  StrictMock<testing::MockRedisClient> redis;
  CapPolicy caps(50, {});
  SlotLedger ledger(redis, caps, 30000);
  EXPECT_CALL(redis, evalScript(_, _, ElementsAre("50", "c", "30000")))
      .WillOnce(Return(pair(0, 50)));
  auto st = ledger.acquire("+15550177", "c");
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->granted);
  EXPECT_EQ(st->cap, 50);
}

TEST(SlotLedger, RedisDownIsAnErrorNotADenial) {
  StrictMock<testing::MockRedisClient> redis;
  CapPolicy caps(50, {});
  SlotLedger ledger(redis, caps, 30000);
  EXPECT_CALL(redis, evalScript(_, _, _))
      .WillOnce(Return(Error{ErrorKind::Disconnected, "connection refused", "redis 127.0.0.1:1"}));
  auto st = ledger.acquire("+15550100", "c");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::Disconnected);
}

TEST(SlotLedger, RenewGroupsByNumberOneScriptEach) {
  StrictMock<testing::MockRedisClient> redis;
  CapPolicy caps(50, {});
  SlotLedger ledger(redis, caps, 1000);
  EXPECT_CALL(redis, evalScript(_, ElementsAre("cm:{+1}:slots"), ElementsAre("1000", "a", "b")))
      .WillOnce(Return(RedisReply::ofInteger(2)));
  EXPECT_CALL(redis, evalScript(_, ElementsAre("cm:{+2}:slots"), ElementsAre("1000", "c")))
      .WillOnce(Return(RedisReply::ofInteger(0)));
  auto kept = ledger.renew({{"+1", "a"}, {"+2", "c"}, {"+1", "b"}});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept.value(), 2);
}

// Issue 16: 10,000 live calls over 200 numbers renewed in a few round trips, not one per number.
TEST(SlotLedger, RenewPipelinesPerNumberScriptsOnceLoaded) {
  StrictMock<testing::MockRedisClient> redis;
  CapPolicy caps(50, {});
  SlotLedger ledger(redis, caps, 1000);
  // The first script goes through the client, which loads it (its SHA is then known).
  EXPECT_CALL(redis, evalScript(_, ElementsAre("cm:{+1}:slots"), ElementsAre("1000", "a")))
      .WillOnce([](redis::RedisScript& script, const auto&, const auto&) {
        script.sha = "sha1";
        return Result<RedisReply>(RedisReply::ofInteger(1));
      });
  EXPECT_CALL(redis, pipeline(ElementsAre(
                         ElementsAre("EVALSHA", "sha1", "1", "cm:{+2}:slots", "1000", "b", "c"),
                         ElementsAre("EVALSHA", "sha1", "1", "cm:{+3}:slots", "1000", "d"))))
      .WillOnce(
          Return(std::vector<RedisReply>{RedisReply::ofInteger(2), RedisReply::ofInteger(0)}));
  auto kept = ledger.renew({{"+1", "a"}, {"+2", "b"}, {"+3", "d"}, {"+2", "c"}});
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept.value(), 3);
}

TEST(SlotLedger, ReleaseRemovesOnlyThatCall) {
  StrictMock<testing::MockRedisClient> redis;
  CapPolicy caps(50, {});
  SlotLedger ledger(redis, caps, 1000);
  EXPECT_CALL(redis, command(ElementsAre("ZREM", "cm:{+15550100}:slots", "call-9")))
      .WillOnce(Return(RedisReply::ofInteger(1)))
      .WillOnce(Return(RedisReply::ofInteger(0)));
  EXPECT_TRUE(ledger.release("+15550100", "call-9").value());
  EXPECT_FALSE(ledger.release("+15550100", "call-9").value());
}

TEST(SlotLedger, ScriptErrorReplyBecomesInternalError) {
  StrictMock<testing::MockRedisClient> redis;
  CapPolicy caps(50, {});
  SlotLedger ledger(redis, caps, 1000);
  RedisReply err;
  err.type = RedisReply::Type::Error;
  err.text = "ERR something";
  EXPECT_CALL(redis, evalScript(_, _, _)).WillOnce(Return(err));
  auto st = ledger.acquire("+1", "c");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "ERR something");
}

}  // namespace
}  // namespace callmesh::concurrency_limiter
