// seed 002's outbound history over a mocked RedisClient: the commands sent, the replies read,
// failing open and the retry gate. redis_outbound_history_integration_test.cpp runs the same
// contract against a real redis-server.
#include "services/router/redis_outbound_history.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shared/testing/manual_clock.h"
#include "shared/testing/mock_redis_client.h"

namespace callmesh::router {
namespace {

using redis::RedisReply;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Return;
using ::testing::StrictMock;

RedisReply array(std::vector<RedisReply> items) { return RedisReply::ofArray(std::move(items)); }
RedisReply str(const char* s) { return RedisReply::ofString(s); }
RedisReply nil() { return RedisReply::nil(); }
Error down() { return Error{ErrorKind::Disconnected, "connect failed", "redis 127.0.0.1:1"}; }

class RedisOutboundHistoryTest : public ::testing::Test {
 protected:
  StrictMock<callmesh::testing::MockRedisClient> redis_;
  callmesh::testing::ManualClock clock_;
  RedisRetryGate gate_{clock_, 1000};
  prometheus::Registry registry_;
  RouterMetrics metrics_{registry_};
  RedisOutboundHistory history_{redis_, gate_, metrics_.outbound_history_errors};

  void expectRead(std::vector<RedisReply> fields) {
    EXPECT_CALL(redis_, command(ElementsAre("HMGET", "cm:outbound:{+14155550180}", "last_number",
                                            "last_project", "attempts:renewals", "used:renewals",
                                            "outcome:renewals")))
        .WillOnce(Return(array(std::move(fields))));
  }
};

TEST_F(RedisOutboundHistoryTest, ContactNeverCalledIsAFirstCall) {
  expectRead({nil(), nil(), nil(), nil(), nil()});
  auto h = history_.read("+14155550180", "renewals");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->attempts, 0);
  EXPECT_EQ(h->last_number, "");
  EXPECT_TRUE(h->used.empty());
}

TEST_F(RedisOutboundHistoryTest, ReadsLastNumberAttemptsUsedAndOutcome) {
  // seed 002_39a4312a6c94260d.txt: the number used before (by any project), this project's
  // attempts and used numbers, and the previous call's outcome.
  expectRead({str("+12127365099"), str("collections"), str("2"), str("+12127365000,+13122223333"),
              str("callback_requested")});
  auto h = history_.read("+14155550180", "renewals");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->last_number, "+12127365099");
  EXPECT_EQ(h->last_project, "collections");
  EXPECT_EQ(h->attempts, 2);
  EXPECT_EQ(h->used, (std::vector<std::string>{"+12127365000", "+13122223333"}));
  EXPECT_EQ(h->last_outcome, "callback_requested");
  EXPECT_EQ(metrics_.outbound_history_errors.bad_data.Value(), 0);
}

TEST_F(RedisOutboundHistoryTest, AttemptsThatAreNotANumberReadAsZeroAndCount) {
  expectRead({nil(), nil(), str("many"), nil(), nil()});
  auto h = history_.read("+14155550180", "renewals");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->attempts, 0);
  EXPECT_EQ(metrics_.outbound_history_errors.bad_data.Value(), 1);
}

TEST_F(RedisOutboundHistoryTest, RecordRunsOneScriptOnTheContactsKey) {
  EXPECT_CALL(redis_, evalScript(_, ElementsAre("cm:outbound:{+14155550180}"),
                                 ElementsAre("+13122223333", "renewals", "1700000000000",
                                             "+12127365000,+13122223333")))
      .WillOnce(Return(RedisReply::ofInteger(2)));
  Status st = history_.record("+14155550180", "renewals",
                              {"+13122223333", {"+12127365000", "+13122223333"}, 1700000000000});
  EXPECT_TRUE(st.ok());
}

TEST_F(RedisOutboundHistoryTest, UnreachableFailsAndShutsTheGate) {
  EXPECT_CALL(redis_, command(_)).WillOnce(Return(down()));
  EXPECT_FALSE(history_.read("+14155550180", "renewals").ok());
  // The gate is shut: neither read nor record asks Redis for a second.
  EXPECT_FALSE(history_.read("+14155550180", "renewals").ok());
  EXPECT_FALSE(history_.record("+14155550180", "renewals", {"+13122223333", {}, 1}).ok());
  EXPECT_EQ(metrics_.outbound_history_errors.unreachable.Value(), 3);
  clock_.advance(1000);
  expectRead({nil(), nil(), nil(), nil(), nil()});
  EXPECT_TRUE(history_.read("+14155550180", "renewals").ok());
}

TEST_F(RedisOutboundHistoryTest, WrongTypeIsBadDataNotAnOutage) {
  RedisReply wrong;
  wrong.type = RedisReply::Type::Error;
  wrong.text = "WRONGTYPE Operation against a key holding the wrong kind of value";
  EXPECT_CALL(redis_, command(_)).WillOnce(Return(wrong));
  auto h = history_.read("+14155550180", "renewals");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->attempts, 0);
  EXPECT_EQ(metrics_.outbound_history_errors.bad_data.Value(), 1);
  EXPECT_TRUE(gate_.allows());
}

}  // namespace
}  // namespace callmesh::router
