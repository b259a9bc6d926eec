#include "shared/redis/cluster_slots.h"

#include <gtest/gtest.h>

#include "shared/redis/keys.h"

namespace callmesh::redis {
namespace {

RedisReply str(const std::string& s) { return RedisReply::ofString(s); }
RedisReply num(int64_t v) { return RedisReply::ofInteger(v); }
RedisReply err(const std::string& s) { return RedisReply{RedisReply::Type::Error, 0, s, {}}; }

// The check value of CRC16/XMODEM and the examples of the Redis Cluster spec ("Keys hash tags").
TEST(ClusterSlots, Crc16MatchesTheSpecsCheckValue) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);
  EXPECT_EQ(crc16(""), 0);
}

TEST(ClusterSlots, KeySlotsAreThoseRedisComputes) {
  // Values from `CLUSTER KEYSLOT` on redis-server 7.0.
  EXPECT_EQ(keySlot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(keySlot("foo"), 12182);
  EXPECT_EQ(keySlot("bar"), 5061);
  EXPECT_EQ(keySlot("somekey"), 11058);
}

TEST(ClusterSlots, HashTagRulesFollowTheSpec) {
  // {user1000}.following and {user1000}.followers hash "user1000".
  EXPECT_EQ(keySlot("{user1000}.following"), keySlot("user1000"));
  EXPECT_EQ(keySlot("{user1000}.followers"), keySlot("user1000"));
  // foo{}{bar}: the first {} is empty, so the whole key is hashed.
  EXPECT_EQ(keySlot("foo{}{bar}"), crc16("foo{}{bar}") % 16384);
  // foo{{bar}}zap: "{bar" is hashed (first '{' to the first '}' after it).
  EXPECT_EQ(keySlot("foo{{bar}}zap"), keySlot("{bar"));
  // foo{bar}{zap}: "bar" is hashed.
  EXPECT_EQ(keySlot("foo{bar}{zap}"), keySlot("bar"));
  // No closing brace: the whole key.
  EXPECT_EQ(keySlot("foo{bar"), crc16("foo{bar") % 16384);
}

TEST(ClusterSlots, EveryKeyOfOneCallNumberOrAgentSharesItsSlot) {
  EXPECT_EQ(keySlot(presence_keys::agent("alice")),
            keySlot(notification_keys::agentUnclaimed("alice")));
  EXPECT_EQ(keySlot(numberSlotsKey("+15550001")),
            keySlot(presence_keys::numberOnCall("+15550001")));
  EXPECT_EQ(keySlot(accountSlotsKey("acme")), keySlot(numberSlotsKey("+15550001", "acme")));
}

TEST(ClusterSlots, ParsesClusterSlots) {
  RedisReply reply = RedisReply::ofArray(
      {RedisReply::ofArray({num(0), num(5460),
                            RedisReply::ofArray({str("127.0.0.1"), num(7000), str("id-a")}),
                            RedisReply::ofArray({str("127.0.0.1"), num(7003), str("id-d")})}),
       RedisReply::ofArray(
           {num(5461), num(16383), RedisReply::ofArray({str(""), num(7001), str("id-b")})})});
  auto ranges = parseClusterSlots(reply, "10.0.0.9");
  ASSERT_TRUE(ranges.ok()) << ranges.error().describe();
  ASSERT_EQ(ranges->size(), 2u);
  EXPECT_EQ((*ranges)[0].master, (RedisAddress{"127.0.0.1", 7000}));
  EXPECT_EQ((*ranges)[1].master, (RedisAddress{"10.0.0.9", 7001}));  // empty host: who we asked
  auto map = SlotMap::fromRanges(*ranges);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->masters().size(), 2u);
  EXPECT_EQ(map->ownerOf(0), 0);
  EXPECT_EQ(map->ownerOf(5460), 0);
  EXPECT_EQ(map->ownerOf(5461), 1);
  EXPECT_EQ(map->ownerOf(16383), 1);
  EXPECT_EQ(map->ownerOf(16384), -1);
}

TEST(ClusterSlots, RefusesAMapWithUncoveredSlotsOrMalformedRanges) {
  RedisReply partial = RedisReply::ofArray({RedisReply::ofArray(
      {num(0), num(100), RedisReply::ofArray({str("127.0.0.1"), num(7000)})})});
  auto ranges = parseClusterSlots(partial, "h");
  ASSERT_TRUE(ranges.ok());
  auto map = SlotMap::fromRanges(*ranges);
  ASSERT_FALSE(map.ok());
  EXPECT_NE(map.error().message.find("slot 101"), std::string::npos);

  RedisReply bad = RedisReply::ofArray({RedisReply::ofArray(
      {num(10), num(20000), RedisReply::ofArray({str("127.0.0.1"), num(7000)})})});
  EXPECT_FALSE(parseClusterSlots(bad, "h").ok());
  EXPECT_FALSE(parseClusterSlots(err("ERR This instance has cluster support disabled"), "h").ok());
  EXPECT_FALSE(parseClusterSlots(str("x"), "h").ok());
}

TEST(ClusterSlots, MoveRepointsOneSlot) {
  auto map = SlotMap::fromRanges({{0, 16383, {"a", 1}}});
  ASSERT_TRUE(map.ok());
  map->move(42, {"b", 2});
  EXPECT_EQ(map->ownerOf(41), 0);
  EXPECT_EQ(map->ownerOf(42), 1);
  EXPECT_EQ(map->masters()[1], (RedisAddress{"b", 2}));
  map->move(43, {"b", 2});
  EXPECT_EQ(map->masters().size(), 2u);  // an existing master is not added twice
}

TEST(ClusterSlots, ParsesRedirections) {
  auto moved = parseRedirect(err("MOVED 3999 127.0.0.1:6381"));
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->kind, Redirect::Kind::Moved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->to, (RedisAddress{"127.0.0.1", 6381}));
  auto ask = parseRedirect(err("ASK 12182 [::1]:7002"));
  ASSERT_TRUE(ask.has_value());
  EXPECT_EQ(ask->kind, Redirect::Kind::Ask);
  EXPECT_EQ(ask->slot, 12182);
  EXPECT_EQ(ask->to, (RedisAddress{"::1", 7002}));
  EXPECT_FALSE(parseRedirect(err("ERR unknown command")).has_value());
  EXPECT_FALSE(parseRedirect(str("MOVED 1 a:1")).has_value());  // not an error reply
  EXPECT_FALSE(parseRedirect(err("MOVED 99999 a:1")).has_value());
  EXPECT_FALSE(parseRedirect(err("MOVED 1 a")).has_value());
  EXPECT_FALSE(parseRedirect(err("MOVED 1 a:0")).has_value());
  EXPECT_FALSE(parseRedirect(err("ASK x a:1")).has_value());
}

TEST(ClusterSlots, FindsTheKeysOfACommand) {
  using V = std::vector<std::string>;
  auto keys = [](const V& argv) {
    std::vector<std::string> out;
    for (auto k : commandKeys(argv)) out.emplace_back(k);
    return out;
  };
  EXPECT_EQ(keys({"HGET", "k", "f"}), V{"k"});
  EXPECT_EQ(keys({"EVALSHA", "sha", "2", "a", "b", "arg"}), (V{"a", "b"}));
  EXPECT_EQ(keys({"eval", "body", "0", "arg"}), V{});
  EXPECT_EQ(keys({"DEL", "a", "b"}), (V{"a", "b"}));
  EXPECT_EQ(keys({"WAIT", "1", "100"}), V{});
  EXPECT_EQ(keys({"PUBLISH", "cm:events", "x"}), V{});
  EXPECT_EQ(keys({"SCRIPT", "LOAD", "return 1"}), V{});
  EXPECT_EQ(keys({"EVALSHA", "sha", "5", "a"}), V{"a"});  // a short argv never reads past it
}

TEST(ClusterSlots, CommandSlotNamesKeysInDifferentSlots) {
  auto same = commandSlot({"EVALSHA", "s", "2", "{x}:a", "{x}:b"});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, keySlot("x"));
  auto none = commandSlot({"PING"});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, -1);
  auto cross = commandSlot({"DEL", "foo", "bar"});
  ASSERT_FALSE(cross.ok());
  EXPECT_EQ(cross.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(cross.error().message.find("'foo'"), std::string::npos);
  EXPECT_NE(cross.error().message.find("'bar'"), std::string::npos);
}

}  // namespace
}  // namespace callmesh::redis
