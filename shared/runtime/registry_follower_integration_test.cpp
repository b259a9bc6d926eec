// The agent registry followed from a real redis-server, as agent-presence and notification do
// every second: a new active document is applied once, an unchanged one costs nothing, a broken
// one keeps what the service had, and an outage is logged once, not on every poll.
#include "shared/runtime/registry_follower.h"

#include <gtest/gtest.h>

#include <vector>

#include "shared/redis/hiredis_client.h"
#include "shared/redis/routing_documents.h"
#include "shared/testing/redis_server.h"

namespace callmesh::runtime {
namespace {

int occurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class RegistryFollowerIntegration : public ::testing::Test {
 protected:
  testing::RedisServer server;
  redis::HiredisClient client{redis::RedisEndpoint{server.host(), server.port(), 1000}};
  Logger log{"registry-follower-test"};
  std::vector<config::AgentRegistry> applied;
  RegistryFollower follower{client, log,
                            [this](config::AgentRegistry r) { applied.push_back(std::move(r)); }};

  void activate(const std::string& yaml) {
    redis::ActivationRequest r;
    r.yaml = yaml;
    r.author = "alice";
    r.action = "activate";
    r.at_ms = 1000;
    auto done = redis::RoutingDocuments(client).activate(r);
    ASSERT_TRUE(done.ok()) << done.error().describe();
  }
};

TEST_F(RegistryFollowerIntegration, NothingActiveAppliesNothingAndIsNoError) {
  follower.poll();
  EXPECT_TRUE(applied.empty());
  EXPECT_EQ(follower.lastError(), "");
  EXPECT_EQ(follower.version(), 0u);
}

TEST_F(RegistryFollowerIntegration, ANewDocumentIsAppliedOnceAndTheNextOneReplacesIt) {
  activate("agents:\n  - {id: alice}\n  - {id: bob}\n");
  follower.poll();
  follower.poll();  // unchanged: nothing applied again
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].size(), 2u);
  EXPECT_EQ(applied[0].count("bob"), 1u);
  EXPECT_EQ(follower.version(), 1u);

  activate("agents:\n  - {id: carol}\n");
  follower.poll();
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[1].size(), 1u);
  EXPECT_EQ(applied[1].count("carol"), 1u);
  EXPECT_EQ(follower.version(), 2u);
}

TEST_F(RegistryFollowerIntegration, ABrokenRegistryKeepsWhatTheServiceHasAndNamesTheVersion) {
  activate("agents:\n  - {id: alice}\n");
  follower.poll();
  activate("agents:\n  - {id: bob, working_hours: [{days: someday, from: \"25:00\"}]}\n");
  follower.poll();
  EXPECT_EQ(applied.size(), 1u);  // the service keeps alice
  EXPECT_NE(follower.lastError().find("routing v2"), std::string::npos) << follower.lastError();
  follower.poll();  // the broken version counts as seen: not re-read, not re-reported
  EXPECT_EQ(follower.lastError(), "");
  EXPECT_EQ(applied.size(), 1u);
}

TEST_F(RegistryFollowerIntegration, AnOutageIsLoggedOnceWhileItLasts) {
  server.stop();
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 3; ++i) follower.poll();
  log.flush();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(occurrences(err, "agent_registry_unreadable"), 1) << err;
  EXPECT_NE(follower.lastError(), "");
  EXPECT_TRUE(applied.empty());
}

}  // namespace
}  // namespace callmesh::runtime
