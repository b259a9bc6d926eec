// ClusterClient against a real Redis Cluster (3 masters + 3 replicas started by the test,
// shared/testing/redis_cluster.h): routing by slot, MOVED and ASK followed during a live slot
// migration, scripts and SCAN on every master, WAIT on the write's node, and a master killed.
#include <signal.h>

#include <set>

#include <gtest/gtest.h>

#include "shared/redis/cluster_client.h"
#include "shared/redis/cluster_slots.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/replica_ack.h"
#include "shared/redis/scan.h"
#include "shared/testing/redis_cluster.h"

namespace callmesh::redis {
namespace {

class RedisClusterClientIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new testing::RedisCluster(3); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  // A direct connection to one node, to look behind the client's back.
  static RedisReply onNode(int port, const std::vector<std::string>& argv) {
    HiredisClient direct({"127.0.0.1", port, 2000});
    auto r = direct.command(argv);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return r.ok() ? r.value() : RedisReply{};
  }

  static testing::RedisCluster* cluster_;
  ClusterClient client_{cluster_->endpoint(2000)};
};

testing::RedisCluster* RedisClusterClientIntegration::cluster_ = nullptr;

TEST_F(RedisClusterClientIntegration, EveryKeyIsWrittenOnTheMasterOfItsSlot) {
  std::vector<std::vector<std::string>> writes;
  for (int i = 0; i < 60; ++i) {
    writes.push_back({"SET", "route:" + std::to_string(i), std::to_string(i)});
  }
  auto replies = client_.pipeline(writes);
  ASSERT_TRUE(replies.ok()) << replies.error().describe();
  ASSERT_EQ(replies->size(), 60u);
  std::set<int> masters;
  for (int i = 0; i < 60; ++i) {
    const std::string key = "route:" + std::to_string(i);
    EXPECT_EQ((*replies)[i].text, "OK");
    int port = cluster_->masterPortOf(keySlot(key));
    masters.insert(port);
    EXPECT_EQ(onNode(port, {"GET", key}).text, std::to_string(i)) << key;
  }
  EXPECT_EQ(masters.size(), 3u);  // 60 keys reach every master
  // Read back in one pipeline: the replies come back in the order asked.
  std::vector<std::vector<std::string>> reads;
  for (int i = 59; i >= 0; --i) reads.push_back({"GET", "route:" + std::to_string(i)});
  auto back = client_.pipeline(reads);
  ASSERT_TRUE(back.ok());
  for (int i = 0; i < 60; ++i) EXPECT_EQ((*back)[i].text, std::to_string(59 - i));
}

TEST_F(RedisClusterClientIntegration, KeysInTwoSlotsAreRefusedBeforeSendingNamingBoth) {
  auto r = client_.command({"DEL", "{a}x", "{b}y"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(r.error().message.find("'{a}x'"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("'{b}y'"), std::string::npos) << r.error().message;
  auto same = client_.command({"DEL", "{a}x", "{a}y"});
  ASSERT_TRUE(same.ok()) << same.error().describe();
}

TEST_F(RedisClusterClientIntegration, MovedIsFollowedAndTheMapReloaded) {
  const std::string key = "{moved-test}k";
  ASSERT_EQ(client_.command({"SET", key, "v1"})->text, "OK");  // the map is loaded now
  const int slot = keySlot(key);
  const int from = cluster_->masterPortOf(slot);
  const int to = cluster_->otherMasterPort(from);
  cluster_->migrateSlot(slot, from, to);
  uint64_t refreshes = client_.mapRefreshes();
  auto r = client_.command({"GET", key});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->text, "v1");
  EXPECT_EQ(client_.movedFollowed(), 1u);
  // The next command reloads the whole map (more slots may have moved) and goes straight there.
  ASSERT_EQ(client_.command({"SET", key, "v2"})->text, "OK");
  EXPECT_EQ(client_.mapRefreshes(), refreshes + 1);
  EXPECT_EQ(client_.movedFollowed(), 1u);
  EXPECT_EQ(onNode(to, {"GET", key}).text, "v2");
}

TEST_F(RedisClusterClientIntegration, AskDuringAMigrationIsFollowedOnceWithAsking) {
  const std::string key = "{ask-test}k";
  ASSERT_EQ(client_.command({"SET", key, "before"})->text, "OK");
  const int slot = keySlot(key);
  const int from = cluster_->masterPortOf(slot);
  const int to = cluster_->otherMasterPort(from);
  // Keys moved, ownership not yet: the source answers ASK for them, the map stays as it is.
  cluster_->migrateSlot(slot, from, to, /*stop_before_node=*/true);
  auto r = client_.command({"GET", key});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->text, "before");
  EXPECT_EQ(client_.askFollowed(), 1u);
  EXPECT_EQ(client_.movedFollowed(), 0u);
  ASSERT_EQ(client_.command({"SET", key, "during"})->text, "OK");
  EXPECT_EQ(client_.askFollowed(), 2u);  // ASK never updates the map: asked again
  {
    // The importing node answers for the slot only after ASKING, as the client sent it.
    HiredisClient direct({"127.0.0.1", to, 2000});
    auto asked = direct.pipeline({{"ASKING"}, {"GET", key}});
    ASSERT_TRUE(asked.ok()) << asked.error().describe();
    EXPECT_EQ((*asked)[1].text, "during");
  }
  cluster_->finishMigration(slot, to);
  EXPECT_EQ(client_.command({"GET", key})->text, "during");
  EXPECT_EQ(client_.movedFollowed(), 1u);
}

TEST_F(RedisClusterClientIntegration, ScriptsAreKnownOnEveryMasterAndScanWalksThemAll) {
  RedisScript script{"return redis.call('INCRBY', KEYS[1], ARGV[1])", ""};
  std::set<int> masters;
  for (int i = 0; i < 30; ++i) {
    const std::string key = "{script-" + std::to_string(i) + "}n";
    masters.insert(cluster_->masterPortOf(keySlot(key)));
    auto r = client_.evalScript(script, {key}, {"5"});
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->integer, 5);
  }
  EXPECT_EQ(masters.size(), 3u);
  // Pipelined EVALSHA (what presence sends) finds the script wherever the key is.
  std::vector<std::vector<std::string>> calls;
  for (int i = 0; i < 30; ++i) {
    calls.push_back(evalShaCommand(script, {"{script-" + std::to_string(i) + "}n"}, {"1"}));
  }
  auto replies = client_.pipeline(calls);
  ASSERT_TRUE(replies.ok());
  for (const auto& r : *replies) EXPECT_EQ(r.integer, 6) << r.text;
  std::set<std::string> seen;
  ASSERT_TRUE(scanKeys(client_, "{script-*}n", [&](const std::string& k) {
                seen.insert(k);
                return true;
              }).ok());
  EXPECT_EQ(seen.size(), 30u);
}

TEST_F(RedisClusterClientIntegration, WaitCountsTheReplicasOfTheNodeTheScriptRanOn) {
  RedisScript script{"return redis.call('SET', KEYS[1], ARGV[1])", ""};
  for (int i = 0; i < 6; ++i) {
    auto r = evalScriptReplicated(client_, script, {"{ack-" + std::to_string(i) + "}k"}, {"x"},
                                  ReplicaAck{1, 1000});
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ(r->text, "OK");
  }
}

// Runs last: it leaves a replica promoted in place of a killed master.
TEST_F(RedisClusterClientIntegration,
       AKilledMasterFailsItsCommandsNamingTheNodeThenItsReplicaTakesOver) {
  const std::string key = "{failover-test}k";
  RedisScript set{"return redis.call('SET', KEYS[1], 'kept')", ""};
  auto acked = evalScriptReplicated(client_, set, {key}, {}, ReplicaAck{1, 1000});
  ASSERT_TRUE(acked.ok()) << acked.error().describe();
  const int port = cluster_->masterPortOf(keySlot(key));
  uint64_t epoch = client_.primaryEpoch();
  for (size_t i = 0; i < cluster_->size(); ++i) {
    if (cluster_->node(i).port() == port) cluster_->node(i).stop();  // SIGKILL by pid
  }
  auto failed = client_.command({"GET", key});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().context.find(std::to_string(port)), std::string::npos)
      << failed.error().describe();
  EXPECT_NE(failed.error().message.find(key), std::string::npos) << failed.error().describe();
  // The replica is promoted after cluster-node-timeout (2 s); the client finds it by itself.
  Result<RedisReply> r = Error{};
  for (int i = 0; i < 200; ++i) {
    r = client_.command({"GET", key});
    if (r.ok() && r->text == "kept") break;
    ::usleep(50 * 1000);
  }
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->text, "kept");  // acknowledged by a replica before the kill: still there
  EXPECT_GT(client_.primaryEpoch(), epoch);
}

}  // namespace
}  // namespace callmesh::redis
