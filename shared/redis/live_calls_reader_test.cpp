#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shared/redis/live_calls_reader.h"
#include "shared/testing/mock_redis_client.h"

namespace callmesh::redis {
namespace {

using ::testing::ElementsAre;
using ::testing::Return;

RedisReply strings(std::vector<std::string> items) {
  std::vector<RedisReply> out;
  for (auto& s : items) out.push_back(RedisReply::ofString(std::move(s)));
  return RedisReply::ofArray(std::move(out));
}

TEST(LiveCallsReader, ReadsEveryOnCallSetThenEachCallsPresenceHash) {
  testing::MockRedisClient redis;
  EXPECT_CALL(redis,
              command(ElementsAre("SCAN", "0", "MATCH", "cm:number:{*}:oncall", "COUNT", "500")))
      .WillOnce(Return(Result<RedisReply>(RedisReply::ofArray(
          {RedisReply::ofString("0"), strings({"cm:number:{+15550100}:oncall"})}))));
  EXPECT_CALL(redis, command(ElementsAre("SMEMBERS", "cm:number:{+15550100}:oncall")))
      .WillOnce(Return(Result<RedisReply>(strings({"c1", "c2"}))));
  std::vector<std::vector<std::string>> expected = {{"HGETALL", "cm:call:{c1}:presence"},
                                                    {"HGETALL", "cm:call:{c2}:presence"}};
  EXPECT_CALL(redis, pipeline(expected))
      .WillOnce(Return(Result<std::vector<RedisReply>>(
          std::vector<RedisReply>{strings({"number",        "+15550100",
                                           "caller",        "+15557770000",
                                           "rule",          "company_blast",
                                           "state",         "answered",
                                           "answered_by",   "alice",
                                           "offered_at_ms", "1700",
                                           "ring:carol",    "1",
                                           "ring:bob",      "1",
                                           "ring:alice",    "0",
                                           "counted",       "1"}),
                                  strings({})})));
  auto calls = readLiveCalls(redis);
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_EQ((*calls)[0].call_id, "c1");
  EXPECT_EQ((*calls)[0].number, "+15550100");
  EXPECT_EQ((*calls)[0].state, "answered");
  EXPECT_EQ((*calls)[0].answered_by, "alice");
  EXPECT_EQ((*calls)[0].offered_at_ms, 1700);
  EXPECT_EQ((*calls)[0].caller, "+15557770000");
  EXPECT_EQ((*calls)[0].rule, "company_blast");
  // Only the phones ringing now (1), not those done (0), sorted.
  EXPECT_EQ((*calls)[0].ringing, (std::vector<std::string>{"bob", "carol"}));
  EXPECT_EQ((*calls)[1].call_id, "c2");  // its hash is gone (ended between reads): empty fields
  EXPECT_TRUE((*calls)[1].ringing.empty());
  EXPECT_EQ((*calls)[1].offered_at_ms, 0);
}

TEST(LiveCallsReader, AFailedSetReadIsTheAnswer) {
  testing::MockRedisClient redis;
  EXPECT_CALL(redis,
              command(ElementsAre("SCAN", "0", "MATCH", "cm:number:{*}:oncall", "COUNT", "500")))
      .WillOnce(Return(Result<RedisReply>(
          RedisReply::ofArray({RedisReply::ofString("0"), strings({"cm:number:{+1}:oncall"})}))));
  EXPECT_CALL(redis, command(ElementsAre("SMEMBERS", "cm:number:{+1}:oncall")))
      .WillOnce(Return(Result<RedisReply>(Error{ErrorKind::Disconnected, "gone", "redis"})));
  auto calls = readLiveCalls(redis);
  ASSERT_FALSE(calls.ok());
  EXPECT_EQ(calls.error().message, "gone");
}

// One call by its id (the recording API's check, issue 19): one HGETALL, absent when presence
// holds no hash, "ended" once the end mark is set.
TEST(LiveCallsReader, ReadsOneCallByIdAndTellsAbsentAndEndedCalls) {
  testing::MockRedisClient redis;
  EXPECT_CALL(redis, command(ElementsAre("HGETALL", "cm:call:{c1}:presence")))
      .WillOnce(Return(Result<RedisReply>(
          strings({"number", "+15550100", "state", "answered", "answered_by", "alice"}))));
  EXPECT_CALL(redis, command(ElementsAre("HGETALL", "cm:call:{c2}:presence")))
      .WillOnce(Return(Result<RedisReply>(strings({}))));
  EXPECT_CALL(redis, command(ElementsAre("HGETALL", "cm:call:{c3}:presence")))
      .WillOnce(Return(Result<RedisReply>(
          strings({"state", "answered", "answered_by", "alice", "ended", "1700"}))));
  auto live = readLiveCall(redis, "c1");
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(live->has_value());
  EXPECT_EQ((*live)->state, "answered");
  EXPECT_EQ((*live)->answered_by, "alice");
  auto absent = readLiveCall(redis, "c2");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  auto ended = readLiveCall(redis, "c3");
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ((*ended)->state, "ended");
}

}  // namespace
}  // namespace callmesh::redis
