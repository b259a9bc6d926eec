// Issue 18 item 1: a write that matters is acknowledged only once a replica has it (WAIT in the
// same pipeline as the write, so on the same connection).
#include "shared/redis/replica_ack.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shared/testing/mock_redis_client.h"

namespace callmesh::redis {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Return;
using Commands = std::vector<std::vector<std::string>>;
using Replies = std::vector<RedisReply>;

RedisReply errorReply(std::string text) {
  RedisReply r;
  r.type = RedisReply::Type::Error;
  r.text = std::move(text);
  return r;
}

class ReplicaAckTest : public ::testing::Test {
 protected:
  testing::MockRedisClient redis_;
  RedisScript script_{"return 1", "sha1"};
};

TEST_F(ReplicaAckTest, WithoutReplicasItIsAPlainScriptCall) {
  EXPECT_CALL(redis_, evalScript(_, ElementsAre("k"), ElementsAre("a")))
      .WillOnce(Return(Result<RedisReply>(RedisReply::ofInteger(1))));
  auto r = evalScriptReplicated(redis_, script_, {"k"}, {"a"}, ReplicaAck{0, 100});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->integer, 1);
}

TEST_F(ReplicaAckTest, TheWaitFollowsTheWriteInOnePipeline) {
  EXPECT_CALL(redis_, pipeline(Commands{{"EVALSHA", "sha1", "1", "k", "a"}, {"WAIT", "1", "150"}}))
      .WillOnce(
          Return(Result<Replies>(Replies{RedisReply::ofInteger(7), RedisReply::ofInteger(2)})));
  auto r = evalScriptReplicated(redis_, script_, {"k"}, {"a"}, ReplicaAck{1, 150});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->integer, 7);
}

TEST_F(ReplicaAckTest, TooFewReplicasInTimeIsATimeoutNotAnAcknowledgement) {
  EXPECT_CALL(redis_, pipeline(_))
      .WillOnce(
          Return(Result<Replies>(Replies{RedisReply::ofInteger(7), RedisReply::ofInteger(0)})));
  auto r = evalScriptReplicated(redis_, script_, {"k"}, {"a"}, ReplicaAck{1, 150});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Timeout);
  EXPECT_NE(r.error().message.find("confirmed by 0 of 1"), std::string::npos);
}

TEST_F(ReplicaAckTest, ALostConnectionIsPassedOn) {
  EXPECT_CALL(redis_, pipeline(_))
      .WillOnce(Return(Result<Replies>(Error{ErrorKind::Disconnected, "gone", "redis"})));
  auto r = evalScriptReplicated(redis_, script_, {"k"}, {}, ReplicaAck{1, 150});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Disconnected);
}

TEST_F(ReplicaAckTest, AScriptErrorIsTheAnswer) {
  EXPECT_CALL(redis_, pipeline(_))
      .WillOnce(Return(Result<Replies>(Replies{errorReply("ERR boom"), RedisReply::ofInteger(1)})));
  auto r = evalScriptReplicated(redis_, script_, {"k"}, {}, ReplicaAck{1, 150});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, RedisReply::Type::Error);
  EXPECT_EQ(r->text, "ERR boom");
}

TEST_F(ReplicaAckTest, ANewPrimaryWithoutTheScriptGetsItLoadedOnce) {
  ::testing::InSequence order;
  EXPECT_CALL(redis_, pipeline(_))
      .WillOnce(Return(Result<Replies>(
          Replies{errorReply("NOSCRIPT No matching script."), RedisReply::ofInteger(1)})));
  EXPECT_CALL(redis_, command(ElementsAre("SCRIPT", "LOAD", "return 1")))
      .WillOnce(Return(Result<RedisReply>(RedisReply::ofString("sha2"))));
  EXPECT_CALL(redis_, pipeline(Commands{{"EVALSHA", "sha2", "0"}, {"WAIT", "2", "50"}}))
      .WillOnce(
          Return(Result<Replies>(Replies{RedisReply::ofInteger(3), RedisReply::ofInteger(2)})));
  auto r = evalScriptReplicated(redis_, script_, {}, {}, ReplicaAck{2, 50});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->integer, 3);
  EXPECT_EQ(script_.sha, "sha2");
}

}  // namespace
}  // namespace callmesh::redis
