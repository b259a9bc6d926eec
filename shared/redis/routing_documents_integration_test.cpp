// The versioned routing documents against a real redis-server (docs/provisioning.md): epochs only
// grow, the pointer moves with the document, If-Match conflicts change nothing, retention trims
// old versions but never the active one, the audit names who did what.
#include "shared/redis/routing_documents.h"

#include <gtest/gtest.h>

#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/testing/redis_server.h"

namespace callmesh::redis {
namespace {

class RoutingDocumentsIntegration : public ::testing::Test {
 protected:
  testing::RedisServer server;
  HiredisClient client{RedisEndpoint{server.host(), server.port(), 1000}};

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
};

TEST_F(RoutingDocumentsIntegration, ActivationMovesThePointerAndTheEpochOnlyGrows) {
  RoutingDocuments docs(client);
  EXPECT_EQ(docs.activeVersion().value(), 0u);
  auto first = docs.activate(change("a: 1\n", "alice", 0));
  ASSERT_TRUE(first.ok()) << first.error().describe();
  EXPECT_EQ(first->outcome, ActivationResult::Outcome::Activated);
  EXPECT_EQ(first->version, 1u);
  auto second = docs.activate(change("a: 2\n", "bob", 1));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, 2u);
  auto active = docs.active();
  ASSERT_TRUE(active.ok() && active->has_value());
  EXPECT_EQ((*active)->yaml, "a: 2\n");
  EXPECT_EQ((*active)->author, "bob");
  EXPECT_EQ((*active)->based_on, 1u);
  EXPECT_EQ((*active)->sha, documentSha("a: 2\n"));
  // The old version stays readable (rollback's source).
  EXPECT_EQ(docs.document(1).value()->yaml, "a: 1\n");
  auto listed = docs.versions(10).value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].version, 2u);
  EXPECT_EQ(listed[1].version, 1u);
  EXPECT_EQ(listed[1].author, "alice");
}

TEST_F(RoutingDocumentsIntegration, AStaleIfMatchIsAConflictAndChangesNothing) {
  RoutingDocuments docs(client);
  ASSERT_TRUE(docs.activate(change("a: 1\n", "alice", std::nullopt)).ok());
  ASSERT_TRUE(docs.activate(change("a: 2\n", "alice", std::nullopt)).ok());
  auto stale = docs.activate(change("a: 3\n", "bob", 1));
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->outcome, ActivationResult::Outcome::Conflict);
  EXPECT_EQ(stale->version, 2u);
  EXPECT_EQ(docs.activeVersion().value(), 2u);
  EXPECT_EQ(client.command({"GET", routing_keys::kEpoch}).value().text, "2");
  EXPECT_EQ(docs.audit(10).value().size(), 2u);
  // expected 0 = "only while none is active": the bootstrap import never overwrites.
  EXPECT_EQ(docs.activate(change("a: 9\n", "importer", 0))->outcome,
            ActivationResult::Outcome::Conflict);
}

TEST_F(RoutingDocumentsIntegration, GitOpsMirroringAddsNoVersionForTheSameText) {
  RoutingDocuments docs(client);
  auto mirror = change("a: 1\n", "file:/etc/routing.yaml", std::nullopt);
  mirror.skip_if_same = true;
  EXPECT_EQ(docs.activate(mirror)->outcome, ActivationResult::Outcome::Activated);
  auto again = docs.activate(mirror);
  EXPECT_EQ(again->outcome, ActivationResult::Outcome::Unchanged);
  EXPECT_EQ(again->version, 1u);
  EXPECT_EQ(docs.versions(10)->size(), 1u);
}

TEST_F(RoutingDocumentsIntegration, RetentionDeletesOldVersionsButKeepsTheActiveOne) {
  RoutingRetention keep;
  keep.versions = 3;
  RoutingDocuments docs(client, keep);
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(
        docs.activate(change("a: " + std::to_string(i) + "\n", "alice", std::nullopt)).ok());
  }
  auto listed = docs.versions(10).value();
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].version, 5u);
  EXPECT_EQ(listed[2].version, 3u);
  EXPECT_FALSE(docs.document(2).value().has_value());
  EXPECT_EQ(client.command({"EXISTS", routing_keys::document(2)}).value().integer, 0);
  EXPECT_EQ(docs.active().value()->yaml, "a: 5\n");
}

TEST_F(RoutingDocumentsIntegration, TheAuditNamesWhoDidWhatNewestFirst) {
  RoutingDocuments docs(client);
  ASSERT_TRUE(docs.activate(change("a: 1\n", "alice", 0)).ok());
  auto r = change("a: 2\n", "bob", 1);
  r.action = "rollback";
  r.diff = "-a: 1\n+a: 2\n";
  ASSERT_TRUE(docs.activate(r).ok());
  auto log = docs.audit(10).value();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].who, "bob");
  EXPECT_EQ(log[0].action, "rollback");
  EXPECT_EQ(log[0].epoch, 2u);
  EXPECT_EQ(log[0].based_on, 1u);
  EXPECT_EQ(log[0].diff, "-a: 1\n+a: 2\n");
  EXPECT_EQ(log[1].who, "alice");
}

TEST_F(RoutingDocumentsIntegration, ReplicasReportTheirVersionAndSilentOnesLeave) {
  RoutingRetention r;
  r.replica_stale_ms = 1000;
  RoutingDocuments docs(client, r);
  ASSERT_TRUE(docs.reportLoaded("router-a", 3, 10'000).ok());
  ASSERT_TRUE(docs.reportLoaded("router-b", 2, 10'500).ok());
  auto both = docs.replicas().value();
  ASSERT_EQ(both.size(), 2u);
  // router-a reports again much later: router-b, silent since 10.5 s, is dropped.
  ASSERT_TRUE(docs.reportLoaded("router-a", 4, 12'000).ok());
  auto one = docs.replicas().value();
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].replica, "router-a");
  EXPECT_EQ(one[0].version, 4u);
  EXPECT_EQ(one[0].at_ms, 12'000);
}

}  // namespace
}  // namespace callmesh::redis
