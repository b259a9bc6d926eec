// Presence and contact lookups over a mocked RedisClient: the shape of the replies, failing open,
// and the retry gate. redis_directories_integration_test.cpp runs the same contract against a
// real redis-server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/router/redis_agent_availability.h"
#include "services/router/redis_contact_directory.h"
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

class RedisDirectories : public ::testing::Test {
 protected:
  StrictMock<callmesh::testing::MockRedisClient> redis_;
  callmesh::testing::ManualClock clock_;
  RedisRetryGate gate_{clock_, 1000};
  prometheus::Registry registry_;
  RouterMetrics metrics_{registry_};
  RedisAgentAvailability presence_{redis_, gate_, metrics_.presence_errors};
  RedisContactDirectory contacts_{redis_, gate_, metrics_.contact_errors};

  void agentHash(const std::string& id, std::vector<RedisReply> fields) {
    EXPECT_CALL(redis_, command(ElementsAre("HMGET", "cm:agent:{" + id + "}", "availability",
                                            "on_call", "ringing", "idle_since_ms")))
        .WillOnce(Return(array(std::move(fields))));
  }
};

TEST_F(RedisDirectories, AgentPresenceNeverSeenIsAvailable) {
  // docs/redis-keys.md: availability absent = available (seed 004 blasts ring configured agents).
  agentHash("alice", {nil(), nil(), nil(), nil()});
  AgentStatus s = presence_.status("alice");
  EXPECT_EQ(s.presence, AgentPresence::Available);
  EXPECT_EQ(s.idle_since_ms, 0);
}

TEST_F(RedisDirectories, AgentPresenceReadsAvailabilityCountersAndIdleSince) {
  agentHash("a", {str("available"), str("0"), str("0"), str("1700000000123")});
  agentHash("b", {str("away"), nil(), nil(), nil()});
  agentHash("c", {str("offline"), nil(), nil(), nil()});
  agentHash("d", {str("dnd"), nil(), nil(), nil()});
  agentHash("e", {nil(), str("1"), str("0"), nil()});
  agentHash("f", {str("available"), str("0"), str("2"), nil()});
  AgentStatus a = presence_.status("a");
  EXPECT_EQ(a.presence, AgentPresence::Available);
  EXPECT_EQ(a.idle_since_ms, 1700000000123);
  EXPECT_EQ(presence_.status("b").presence, AgentPresence::Unavailable);
  EXPECT_EQ(presence_.status("c").presence, AgentPresence::Unavailable);
  EXPECT_EQ(presence_.status("d").presence, AgentPresence::Unavailable);
  EXPECT_EQ(presence_.status("e").presence, AgentPresence::Busy);  // on a call
  EXPECT_EQ(presence_.status("f").presence, AgentPresence::Busy);  // ringing elsewhere
  EXPECT_EQ(metrics_.presence_errors.bad_data.Value(), 0);
}

TEST_F(RedisDirectories, AgentPresenceWithFieldsOutsideTheContractFailsOpenAndCounts) {
  agentHash("a", {str("lunch"), nil(), nil(), nil()});
  agentHash("b", {nil(), str("many"), nil(), str("yesterday")});
  EXPECT_EQ(presence_.status("a").presence, AgentPresence::Available);
  AgentStatus b = presence_.status("b");
  EXPECT_EQ(b.presence, AgentPresence::Available);
  EXPECT_EQ(b.idle_since_ms, 0);
  EXPECT_CALL(redis_, command(_))
      .WillOnce(Return(RedisReply{RedisReply::Type::Error, 0, "WRONGTYPE", {}}));
  EXPECT_EQ(presence_.status("c").presence, AgentPresence::Available);
  EXPECT_EQ(metrics_.presence_errors.bad_data.Value(), 3);
}

TEST_F(RedisDirectories, UnreachableRedisFailsOpenAndIsNotAskedAgainForASecond) {
  EXPECT_CALL(redis_, command(_)).WillOnce(Return(down()));
  EXPECT_EQ(presence_.status("a").presence, AgentPresence::Available);
  // The gate is shut: neither directory waits on Redis again until the retry time.
  EXPECT_EQ(presence_.status("b").presence, AgentPresence::Available);
  auto contacts = contacts_.contactsWithNumber("+19175550142");
  ASSERT_FALSE(contacts.ok());
  EXPECT_EQ(contacts.error().kind, ErrorKind::Disconnected);
  EXPECT_EQ(metrics_.presence_errors.unreachable.Value(), 2);
  EXPECT_EQ(metrics_.contact_errors.unreachable.Value(), 1);
  ::testing::Mock::VerifyAndClearExpectations(&redis_);

  clock_.advance(1000);
  agentHash("a", {str("away"), nil(), nil(), nil()});
  EXPECT_EQ(presence_.status("a").presence, AgentPresence::Unavailable);
}

TEST_F(RedisDirectories, ContactsAreReadFromTheNumberIndexAndTheirHashes) {
  EXPECT_CALL(redis_, command(ElementsAre("SMEMBERS", "cm:contacts:number:{+19175550142}")))
      .WillOnce(Return(array({str("c1"), str("c2"), str("gone")})));
  EXPECT_CALL(
      redis_,
      pipeline(ElementsAre(
          ElementsAre("HMGET", "cm:contact:{c1}", "id", "primary_agent", "created_at_ms"),
          ElementsAre("HMGET", "cm:contact:{c2}", "id", "primary_agent", "created_at_ms"),
          ElementsAre("HMGET", "cm:contact:{gone}", "id", "primary_agent", "created_at_ms"))))
      .WillOnce(Return(std::vector<RedisReply>{array({str("c1"), str("alice"), str("100")}),
                                               array({str("c2"), nil(), str("200")}),
                                               array({nil(), nil(), nil()})}));
  auto found = contacts_.contactsWithNumber("+19175550142");
  ASSERT_TRUE(found.ok()) << found.error().describe();
  ASSERT_EQ(found->size(), 2u);  // the stale index entry "gone" is skipped
  EXPECT_EQ((*found)[0].id, "c1");
  EXPECT_EQ((*found)[0].primary_agent_id, "alice");
  EXPECT_EQ((*found)[0].created_at_ms, 100);
  EXPECT_EQ((*found)[1].id, "c2");
  EXPECT_EQ((*found)[1].primary_agent_id, "");
  EXPECT_EQ((*found)[1].created_at_ms, 200);
}

TEST_F(RedisDirectories, UnknownCallerIsOneRoundTrip) {
  EXPECT_CALL(redis_, command(ElementsAre("SMEMBERS", "cm:contacts:number:{+19175550142}")))
      .WillOnce(Return(array({})));
  auto found = contacts_.contactsWithNumber("+19175550142");
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
}

TEST_F(RedisDirectories, ContactLookupFailureIsAnErrorAndCounted) {
  EXPECT_CALL(redis_, command(_)).WillOnce(Return(array({str("c1")})));
  EXPECT_CALL(redis_, pipeline(_)).WillOnce(Return(down()));
  auto found = contacts_.contactsWithNumber("+19175550142");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(metrics_.contact_errors.unreachable.Value(), 1);
  EXPECT_FALSE(gate_.allows());
}

}  // namespace
}  // namespace callmesh::router
