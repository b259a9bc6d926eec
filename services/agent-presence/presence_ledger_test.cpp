// PresenceLedger::applyEvents against a mocked Redis: the round trips it makes (one pipeline per
// batch, SCRIPT LOAD once), and how it recovers when Redis has lost its scripts (NOSCRIPT).
#include "services/agent-presence/presence_ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shared/testing/mock_redis_client.h"

namespace callmesh::agent_presence {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::InSequence;
using ::testing::Return;
using Commands = std::vector<std::vector<std::string>>;
using Replies = std::vector<redis::RedisReply>;

redis::RedisReply array(std::vector<std::string> items) {
  Replies out;
  for (auto& i : items) out.push_back(redis::RedisReply::ofString(std::move(i)));
  return redis::RedisReply::ofArray(std::move(out));
}

redis::RedisReply error(std::string text) {
  redis::RedisReply r;
  r.type = redis::RedisReply::Type::Error;
  r.text = std::move(text);
  return r;
}

redis::RedisReply noScript() { return error("NOSCRIPT No matching script. Please use EVAL."); }

// The five SCRIPT LOADs (offered, ringing, stop ringing, answered, ended), answered with sha-0..4.
Result<Replies> loadReplies() {
  Replies out;
  for (int i = 0; i < 5; ++i)
    out.push_back(redis::RedisReply::ofString("sha-" + std::to_string(i)));
  return out;
}

MATCHER(IsScriptLoad, "") {
  if (arg.size() != 5) return false;
  for (const auto& c : arg) {
    if (c.size() != 3 || c[0] != "SCRIPT" || c[1] != "LOAD") return false;
  }
  return true;
}

// The sha and first key of each EVALSHA in a pipeline.
std::vector<std::string> shaAndKey(const Commands& commands) {
  std::vector<std::string> out;
  for (const auto& c : commands) {
    out.push_back(c.size() > 3 && c[0] == "EVALSHA" ? c[1] + " " + c[3] : "not EVALSHA");
  }
  return out;
}

const std::vector<LineEvent> kBatch = {
    {LineEvent::Kind::Offered, "c1", "+15550100", "", 1},
    {LineEvent::Kind::LegRinging, "c1", "", "alice", 2},
    {LineEvent::Kind::Answered, "c1", "", "alice", 3},
    {LineEvent::Kind::Ended, "c2", "", "", 4},
};

TEST(PresenceLedger, LoadsTheScriptsOnceAndSendsEachBatchInOnePipeline) {
  testing::MockRedisClient redis;
  InSequence order;
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  Commands sent;
  EXPECT_CALL(redis, pipeline(_))
      .Times(2)
      .WillRepeatedly([&](const Commands& c) -> Result<Replies> {
        sent = c;
        return Replies{array({}), array({"alice"}), array({"alice"}), array({"bob"})};
      });
  PresenceLedger ledger(redis);
  for (int round = 0; round < 2; ++round) {
    auto outcomes = ledger.applyEvents(kBatch);
    ASSERT_TRUE(outcomes.ok());
    ASSERT_EQ(outcomes->size(), 4u);
    EXPECT_THAT(shaAndKey(sent),
                ElementsAre("sha-0 cm:call:{c1}:presence", "sha-1 cm:call:{c1}:presence",
                            "sha-3 cm:call:{c1}:presence", "sha-4 cm:call:{c2}:presence"));
    EXPECT_TRUE((*outcomes)[0]->empty());
    EXPECT_THAT((*outcomes)[1].value(), ElementsAre("alice"));
    EXPECT_THAT((*outcomes)[3].value(), ElementsAre("bob"));
  }
  // offered: both keys passed in (the call and the number's on-call set), then number, at, call.
  EXPECT_THAT(sent[0], ElementsAre("EVALSHA", "sha-0", "2", "cm:call:{c1}:presence",
                                   "cm:number:{+15550100}:oncall", "+15550100", "1", "c1"));
}

TEST(PresenceLedger, NoScriptReloadsTheScriptsAndRerunsOnlyTheRefusedEventsInOrder) {
  testing::MockRedisClient redis;
  InSequence order;
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  EXPECT_CALL(redis, pipeline(_))
      .WillOnce(
          Return(Result<Replies>(Replies{array({}), noScript(), array({"alice"}), noScript()})));
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  Commands rerun;
  EXPECT_CALL(redis, pipeline(_)).WillOnce([&](const Commands& c) -> Result<Replies> {
    rerun = c;
    return Replies{array({"alice"}), array({"bob"})};
  });
  PresenceLedger ledger(redis);
  auto outcomes = ledger.applyEvents(kBatch);
  ASSERT_TRUE(outcomes.ok());
  EXPECT_THAT(shaAndKey(rerun),
              ElementsAre("sha-1 cm:call:{c1}:presence", "sha-4 cm:call:{c2}:presence"));
  for (const auto& o : *outcomes) EXPECT_TRUE(o.ok());
  EXPECT_THAT((*outcomes)[1].value(), ElementsAre("alice"));
  EXPECT_THAT((*outcomes)[2].value(), ElementsAre("alice"));
  EXPECT_THAT((*outcomes)[3].value(), ElementsAre("bob"));
}

TEST(PresenceLedger, NoScriptAfterAReloadIsAnErrorForThoseEventsOnly) {
  testing::MockRedisClient redis;
  InSequence order;
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  EXPECT_CALL(redis, pipeline(_))
      .WillOnce(Return(Result<Replies>(Replies{array({}), array({}), noScript(), array({})})));
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  EXPECT_CALL(redis, pipeline(_)).WillOnce(Return(Result<Replies>(Replies{noScript()})));
  PresenceLedger ledger(redis);
  auto outcomes = ledger.applyEvents(kBatch);
  ASSERT_TRUE(outcomes.ok());
  EXPECT_TRUE((*outcomes)[1].ok());
  ASSERT_FALSE((*outcomes)[2].ok());
  EXPECT_THAT((*outcomes)[2].error().message, ::testing::StartsWith("NOSCRIPT"));
  EXPECT_TRUE((*outcomes)[3].ok());
}

TEST(PresenceLedger, AScriptErrorFailsOnlyItsOwnEvent) {
  testing::MockRedisClient redis;
  InSequence order;
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  EXPECT_CALL(redis, pipeline(_))
      .WillOnce(Return(Result<Replies>(Replies{
          array({}), error("WRONGTYPE Operation against a key"), array({"alice"}), array({})})));
  PresenceLedger ledger(redis);
  auto outcomes = ledger.applyEvents(kBatch);
  ASSERT_TRUE(outcomes.ok());
  EXPECT_TRUE((*outcomes)[0].ok());
  ASSERT_FALSE((*outcomes)[1].ok());
  EXPECT_EQ((*outcomes)[1].error().context, "presence ringing");
  EXPECT_THAT((*outcomes)[2].value(), ElementsAre("alice"));  // Redis went on with the pipeline
}

TEST(PresenceLedger, NoReplyAtAllFailsTheWholeBatch) {
  testing::MockRedisClient redis;
  InSequence order;
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  EXPECT_CALL(redis, pipeline(_))
      .WillOnce(Return(Result<Replies>(Error{ErrorKind::Disconnected, "connection lost"})));
  PresenceLedger ledger(redis);
  auto outcomes = ledger.applyEvents(kBatch);
  ASSERT_FALSE(outcomes.ok());
  EXPECT_EQ(outcomes.error().kind, ErrorKind::Disconnected);
}

TEST(PresenceLedger, LegsWithoutAnAgentNeedNoRoundTrip) {
  testing::MockRedisClient redis;
  EXPECT_CALL(redis, pipeline(_)).Times(0);
  EXPECT_CALL(redis, command(_)).Times(0);
  PresenceLedger ledger(redis);
  auto outcomes = ledger.applyEvents({{LineEvent::Kind::LegRinging, "c1", "", "", 1},
                                      {LineEvent::Kind::LegFailed, "c1", "", "", 2}});
  ASSERT_TRUE(outcomes.ok());
  EXPECT_EQ(outcomes->size(), 2u);
  EXPECT_TRUE(ledger.applyEvents({}).ok());
}

}  // namespace
}  // namespace callmesh::agent_presence
