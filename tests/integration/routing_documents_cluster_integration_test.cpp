// The versioned routing documents (issue 20, docs/provisioning.md) through the ClusterClient on a
// real Redis Cluster of 3 masters + 3 replicas (issue 18): every key carries the hash tag
// {routing}, so the activation script, including the document keys it builds from the tag and
// the old versions its retention deletes, runs on the one master owning that slot; If-Match
// conflicts change nothing; the followers' reports land in the same slot.
#include <set>

#include <gtest/gtest.h>

#include "shared/redis/cluster_client.h"
#include "shared/redis/cluster_slots.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/redis/routing_documents.h"
#include "shared/testing/redis_cluster.h"

namespace callmesh::redis {
namespace {

ActivationRequest change(std::string yaml, std::string who, std::optional<uint64_t> expected) {
  ActivationRequest r;
  r.yaml = std::move(yaml);
  r.author = std::move(who);
  r.action = "activate";
  r.diff = "+a line";
  r.at_ms = 1000;
  r.expected_active = expected;
  return r;
}

// Every key on the node at `port`, read behind the client's back.
std::set<std::string> keysOn(int port) {
  HiredisClient direct({"127.0.0.1", port, 2000});
  auto r = direct.command({"KEYS", "cm:{routing}:*"});
  EXPECT_TRUE(r.ok()) << r.error().describe();
  std::set<std::string> keys;
  if (r.ok()) {
    for (const auto& e : r->elements) keys.insert(e.text);
  }
  return keys;
}

TEST(RoutingDocumentsOnRedisCluster, ActivationRetentionAndReportsStayInTheRoutingSlot) {
  testing::RedisCluster cluster(3);
  ClusterClient client(cluster.endpoint(2000));
  RoutingRetention retention;
  retention.versions = 2;  // the third activation deletes version 1 inside the script
  RoutingDocuments docs(client, retention);
  EXPECT_EQ(docs.activeVersion().value(), 0u);
  for (uint64_t v = 1; v <= 4; ++v) {
    auto done = docs.activate(change("a: " + std::to_string(v) + "\n", "ops", v - 1));
    ASSERT_TRUE(done.ok()) << done.error().describe();
    EXPECT_EQ(done->outcome, ActivationResult::Outcome::Activated);
    EXPECT_EQ(done->version, v);
  }
  // A stale If-Match: a conflict naming the active version; nothing moved.
  auto stale = docs.activate(change("a: stale\n", "eve", 2));
  ASSERT_TRUE(stale.ok()) << stale.error().describe();
  EXPECT_EQ(stale->outcome, ActivationResult::Outcome::Conflict);
  EXPECT_EQ(stale->version, 4u);
  EXPECT_EQ(docs.activeVersion().value(), 4u);
  EXPECT_EQ(docs.active().value()->yaml, "a: 4\n");
  // Retention kept the two newest; the audit names who did each.
  auto kept = docs.versions(10).value();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].version, 4u);
  EXPECT_EQ(kept[1].version, 3u);
  EXPECT_FALSE(docs.document(1).value().has_value());
  auto audit = docs.audit(10).value();
  ASSERT_EQ(audit.size(), 4u);
  EXPECT_EQ(audit[0].epoch, 4u);
  EXPECT_EQ(audit[0].who, "ops");
  EXPECT_EQ(audit[0].based_on, 3u);
  // Followers report through the same client.
  ASSERT_TRUE(docs.reportLoaded("router-a:1", 4, 2000).ok());
  ASSERT_TRUE(docs.reportLoaded("limiter:b:2", 4, 2000).ok());
  EXPECT_EQ(docs.replicas().value().size(), 2u);

  // Every key of the family is on the master of the {routing} slot, and on no other master.
  const int owner = cluster.masterPortOf(keySlot(routing_keys::kActive));
  const std::set<std::string> expected{routing_keys::kEpoch,     routing_keys::kActive,
                                       routing_keys::kVersions,  routing_keys::kAudit,
                                       routing_keys::kReplicas,  routing_keys::document(3),
                                       routing_keys::document(4)};
  EXPECT_EQ(keysOn(owner), expected);
  // The three masters own the low, middle and high thirds of the slots.
  const std::set<int> masters{cluster.masterPortOf(0), cluster.masterPortOf(8191),
                              cluster.masterPortOf(16383)};
  ASSERT_EQ(masters.size(), 3u);
  for (int port : masters) {
    if (port == owner) continue;
    EXPECT_TRUE(keysOn(port).empty()) << "master " << port;
  }
}

}  // namespace
}  // namespace callmesh::redis
