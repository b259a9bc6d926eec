#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"
#include "shared/redis/scan.h"
#include "shared/testing/mock_redis_client.h"

namespace callmesh::redis {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::Return;

TEST(RedisKeys, EveryFamilyKeepsItsIdInsideTheHashTag) {
  EXPECT_EQ(presence_keys::call("a@b"), "cm:call:{a@b}:presence");
  EXPECT_EQ(presence_keys::agent("alice"), "cm:agent:{alice}");
  EXPECT_EQ(notification_keys::agentUnclaimed("alice"), "cm:agent:{alice}:unclaimed");
  EXPECT_EQ(notification_keys::agentClaimed("alice"), "cm:agent:{alice}:claimed");
  EXPECT_EQ(notification_keys::agentAnswered("alice"), "cm:agent:{alice}:answered");
  EXPECT_EQ(numberSlotsKey("+15550100"), "cm:{+15550100}:slots");
  EXPECT_EQ(numberSlotsKey("+15550100", "acme"), "cm:{acct:acme}:slots:+15550100");
  for (const auto& key : {presence_keys::call("x"), presence_keys::numberOnCall("x"),
                          presence_keys::agent("x"), notification_keys::record("x"),
                          notification_keys::numberSettings("x"), notification_keys::contact("x"),
                          notification_keys::contactsByNumber("x"), outbound_keys::callee("x")}) {
    EXPECT_EQ(hashTagOf(key), "x") << key;
  }
  EXPECT_EQ(hashTagOf(numberSlotsKey("+1", "acme")), "acct:acme");
  EXPECT_EQ(hashTagOf("cm:no:tag"), "");
}

// Issue 18 item 3: the account-wide unclaimed indexes are sharded by Call-ID, each shard its own
// hash tag, the missed-call shard beside the same-numbered shard of every record.
TEST(RedisKeys, UnclaimedIndexesAreShardedByCallId) {
  EXPECT_EQ(notification_keys::unclaimedShard(3), "cm:{unclaimed:3}:all");
  EXPECT_EQ(notification_keys::unclaimedMissedShard(3), "cm:{unclaimed:3}:missed");
  EXPECT_EQ(notification_keys::allUnclaimedShards().size(),
            static_cast<size_t>(notification_keys::kUnclaimedShards));
  std::set<int> shards;
  std::set<int> slots;
  for (int i = 0; i < 200; ++i) {
    std::string id = "call-" + std::to_string(i) + "@gw";
    int shard = notification_keys::unclaimedShardOf(id);
    ASSERT_GE(shard, 0);
    ASSERT_LT(shard, notification_keys::kUnclaimedShards);
    shards.insert(shard);
    EXPECT_EQ(notification_keys::unclaimedOf(id), notification_keys::unclaimedShard(shard));
    EXPECT_EQ(keySlot(notification_keys::unclaimedOf(id)),
              keySlot(notification_keys::unclaimedMissedOf(id)));
  }
  EXPECT_EQ(shards.size(), static_cast<size_t>(notification_keys::kUnclaimedShards));
  for (const auto& k : notification_keys::allUnclaimedShards()) slots.insert(keySlot(k));
  EXPECT_EQ(slots.size(), static_cast<size_t>(notification_keys::kUnclaimedShards));
}

TEST(RedisReplyFields, IntegersAndListsReadTheSameEverywhere) {
  EXPECT_EQ(fieldInt("1234"), 1234);
  EXPECT_EQ(fieldInt("-5"), -5);
  EXPECT_EQ(fieldInt(""), 0);
  EXPECT_EQ(fieldInt("garbage"), 0);
  EXPECT_THAT(splitList("a,,b,c"), ElementsAre("a", "b", "c"));
  EXPECT_TRUE(splitList("").empty());
  EXPECT_EQ(joinList({"a", "b"}), "a,b");
}

TEST(RedisScan, FollowsTheCursorUntilRedisSaysZero) {
  testing::MockRedisClient redis;
  auto page = [](const char* cursor, std::vector<std::string> keys) {
    std::vector<RedisReply> items;
    for (auto& k : keys) items.push_back(RedisReply::ofString(k));
    return Result<RedisReply>(
        RedisReply::ofArray({RedisReply::ofString(cursor), RedisReply::ofArray(std::move(items))}));
  };
  EXPECT_CALL(redis, command(ElementsAre("SCAN", "0", "MATCH", "cm:agent:{*}", "COUNT", "500")))
      .WillOnce(Return(page("7", {"cm:agent:{a}"})));
  EXPECT_CALL(redis, command(ElementsAre("SCAN", "7", "MATCH", "cm:agent:{*}", "COUNT", "500")))
      .WillOnce(Return(page("0", {"cm:agent:{b}", "cm:agent:{c}"})));
  std::vector<std::string> seen;
  auto st = scanKeys(redis, presence_keys::kAgentPattern, [&](const std::string& k) {
    seen.push_back(hashTagOf(k));
    return true;
  });
  ASSERT_TRUE(st.ok());
  EXPECT_THAT(seen, ElementsAre("a", "b", "c"));
}

TEST(RedisScan, AReplyOfTheWrongShapeIsAnErrorNamingThePattern) {
  testing::MockRedisClient redis;
  EXPECT_CALL(redis, command(_)).WillOnce(Return(Result<RedisReply>(RedisReply::ofInteger(1))));
  auto st = scanKeys(redis, "cm:x:{*}", [](const std::string&) { return true; });
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().describe().find("cm:x:{*}"), std::string::npos);
}

}  // namespace
}  // namespace callmesh::redis
