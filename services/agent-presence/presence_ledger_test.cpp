// PresenceLedger::applyEvents against a mocked Redis: the round trips it makes (one script call per
// batch, SCRIPT LOAD once), and how it recovers when Redis has lost its script (NOSCRIPT).
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

// The one SCRIPT LOAD (every transition in one batch script), answered with `sha`.
Result<Replies> loadReplies(const std::string& sha = "sha-batch") {
  return Replies{redis::RedisReply::ofString(sha)};
}

MATCHER(IsScriptLoad, "") {
  return arg.size() == 1 && arg[0].size() == 3 && arg[0][0] == "SCRIPT" && arg[0][1] == "LOAD";
}

const std::vector<LineEvent> kBatch = {
    {LineEvent::Kind::Offered, "c1", "+15550100", "", 1, "+15557770000", "blast"},
    {LineEvent::Kind::LegRinging, "c1", "", "alice", 2, "", ""},
    {LineEvent::Kind::Answered, "c1", "", "alice", 3, "", ""},
    {LineEvent::Kind::Ended, "c2", "", "", 4, "", ""},
};

// kBatch as one script call: its keys, then per event kind, key count, argument count, arguments.
const std::vector<std::string> kBatchCall = {
    "EVALSHA", "sha-batch", "7",
    // keys
    "cm:call:{c1}:presence", "cm:number:{+15550100}:oncall", "cm:call:{c1}:presence",
    "cm:agent:{alice}", "cm:call:{c1}:presence", "cm:agent:{alice}", "cm:call:{c2}:presence",
    // offered: number, at, call, caller, rule; ringing and answered: agent, at; ended: at, call
    "o", "2", "5", "+15550100", "1", "c1", "+15557770000", "blast", "r", "2", "2", "alice", "2",
    "a", "2", "2", "alice", "3", "e", "1", "2", "4", "c2"};

redis::RedisReply perEvent(Replies replies) {
  return redis::RedisReply::ofArray(std::move(replies));
}

TEST(PresenceLedger, LoadsTheScriptOnceAndSendsEachBatchAsOneScriptCall) {
  testing::MockRedisClient redis;
  InSequence order;
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  Commands sent;
  EXPECT_CALL(redis, pipeline(_))
      .Times(2)
      .WillRepeatedly([&](const Commands& c) -> Result<Replies> {
        sent = c;
        return Replies{perEvent({array({}), array({"alice"}), array({"alice"}), array({"bob"})})};
      });
  PresenceLedger ledger(redis);
  for (int round = 0; round < 2; ++round) {
    auto outcomes = ledger.applyEvents(kBatch);
    ASSERT_TRUE(outcomes.ok());
    ASSERT_EQ(outcomes->size(), 4u);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0], kBatchCall);
    EXPECT_TRUE((*outcomes)[0]->empty());
    EXPECT_THAT((*outcomes)[1].value(), ElementsAre("alice"));
    EXPECT_THAT((*outcomes)[3].value(), ElementsAre("bob"));
  }
}

TEST(PresenceLedger, ABacklogIsSplitIntoScriptCallsOfTwoHundredEventsInOnePipeline) {
  testing::MockRedisClient redis;
  InSequence order;
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  std::vector<LineEvent> backlog;
  for (int i = 0; i < 450; ++i)
    backlog.push_back({LineEvent::Kind::Ended, "c" + std::to_string(i), "", "", i, "", ""});
  EXPECT_CALL(redis, pipeline(_)).WillOnce([](const Commands& c) -> Result<Replies> {
    Replies out;
    for (const auto& call : c) {
      size_t events = std::stoul(call[2]);  // one key per `ended`
      out.push_back(perEvent(Replies(events, array({}))));
    }
    return out;
  });
  PresenceLedger ledger(redis);
  auto outcomes = ledger.applyEvents(backlog);
  ASSERT_TRUE(outcomes.ok());
  ASSERT_EQ(outcomes->size(), 450u);
  for (const auto& o : *outcomes) EXPECT_TRUE(o.ok());
}

TEST(PresenceLedger, NoScriptReloadsTheScriptAndRerunsTheRefusedCall) {
  testing::MockRedisClient redis;
  InSequence order;
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  EXPECT_CALL(redis, pipeline(_)).WillOnce(Return(Result<Replies>(Replies{noScript()})));
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  Commands rerun;
  EXPECT_CALL(redis, pipeline(_)).WillOnce([&](const Commands& c) -> Result<Replies> {
    rerun = c;
    return Replies{perEvent({array({}), array({"alice"}), array({"alice"}), array({"bob"})})};
  });
  PresenceLedger ledger(redis);
  auto outcomes = ledger.applyEvents(kBatch);
  ASSERT_TRUE(outcomes.ok());
  ASSERT_EQ(rerun.size(), 1u);
  EXPECT_EQ(rerun[0], kBatchCall);
  for (const auto& o : *outcomes) EXPECT_TRUE(o.ok());
  EXPECT_THAT((*outcomes)[1].value(), ElementsAre("alice"));
  EXPECT_THAT((*outcomes)[3].value(), ElementsAre("bob"));
}

TEST(PresenceLedger, NoScriptAfterAReloadIsAnErrorForThoseEvents) {
  testing::MockRedisClient redis;
  InSequence order;
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  EXPECT_CALL(redis, pipeline(_)).WillOnce(Return(Result<Replies>(Replies{noScript()})));
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  EXPECT_CALL(redis, pipeline(_)).WillOnce(Return(Result<Replies>(Replies{noScript()})));
  PresenceLedger ledger(redis);
  auto outcomes = ledger.applyEvents(kBatch);
  ASSERT_TRUE(outcomes.ok());
  for (const auto& o : *outcomes) {
    ASSERT_FALSE(o.ok());
    EXPECT_THAT(o.error().message, ::testing::StartsWith("NOSCRIPT"));
  }
}

TEST(PresenceLedger, AnEventsErrorIsOnlyItsOwn) {
  testing::MockRedisClient redis;
  InSequence order;
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  EXPECT_CALL(redis, pipeline(_))
      .WillOnce(Return(Result<Replies>(Replies{perEvent(
          {array({}), error("WRONGTYPE Operation against a key"), array({"alice"}), array({})})})));
  PresenceLedger ledger(redis);
  auto outcomes = ledger.applyEvents(kBatch);
  ASSERT_TRUE(outcomes.ok());
  EXPECT_TRUE((*outcomes)[0].ok());
  ASSERT_FALSE((*outcomes)[1].ok());
  EXPECT_EQ((*outcomes)[1].error().context, "presence ringing");
  EXPECT_THAT((*outcomes)[2].value(), ElementsAre("alice"));  // the script went on
}

TEST(PresenceLedger, AReplyOfTheWrongShapeFailsEveryEventOfItsCall) {
  testing::MockRedisClient redis;
  InSequence order;
  EXPECT_CALL(redis, pipeline(IsScriptLoad())).WillOnce(Return(loadReplies()));
  EXPECT_CALL(redis, pipeline(_))
      .WillOnce(Return(Result<Replies>(Replies{perEvent({array({}), array({})})})));
  PresenceLedger ledger(redis);
  auto outcomes = ledger.applyEvents(kBatch);
  ASSERT_TRUE(outcomes.ok());
  for (const auto& o : *outcomes) EXPECT_FALSE(o.ok());
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
  auto outcomes = ledger.applyEvents({{LineEvent::Kind::LegRinging, "c1", "", "", 1, "", ""},
                                      {LineEvent::Kind::LegFailed, "c1", "", "", 2, "", ""}});
  ASSERT_TRUE(outcomes.ok());
  EXPECT_EQ(outcomes->size(), 2u);
  EXPECT_TRUE(ledger.applyEvents({}).ok());
}

}  // namespace
}  // namespace callmesh::agent_presence
