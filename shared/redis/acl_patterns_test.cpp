// docs/redis-users.acl against the key builders (issue 18 items 2-3): every key family a service
// writes matches one of its user's read-write key patterns, and a family it must not touch matches
// none of its patterns, so a renamed family (the hash-tagged unclaimed shards) cannot leave the
// ACL behind. Reads the file from the source tree (CALLMESH_SOURCE_DIR), not ../shared.
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shared/redis/keys.h"

namespace callmesh::redis {
namespace {

// Redis's glob for the patterns the file uses ('*' and literal text; braces are literal).
bool globMatch(const std::string& pattern, const std::string& text, size_t p = 0, size_t t = 0) {
  while (p < pattern.size()) {
    if (pattern[p] == '*') {
      for (size_t k = t; k <= text.size(); ++k) {
        if (globMatch(pattern, text, p + 1, k)) return true;
      }
      return false;
    }
    if (t >= text.size() || pattern[p] != text[t]) return false;
    ++p;
    ++t;
  }
  return t == text.size();
}

struct User {
  std::vector<std::string> write;  // ~pattern
  std::vector<std::string> read;   // %R~pattern
};

std::map<std::string, User> loadAcl() {
  std::ifstream in(std::string(CALLMESH_SOURCE_DIR) + "/docs/redis-users.acl");
  std::map<std::string, User> users;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string w, name;
    words >> w >> name;
    if (w != "user") continue;
    User u;
    while (words >> w) {
      if (w.rfind("~", 0) == 0) u.write.push_back(w.substr(1));
      if (w.rfind("%R~", 0) == 0) u.read.push_back(w.substr(3));
    }
    users[name] = u;
  }
  return users;
}

bool anyMatch(const std::vector<std::string>& patterns, const std::string& key) {
  for (const auto& p : patterns) {
    if (globMatch(p, key)) return true;
  }
  return false;
}

TEST(RedisAcl, GlobMatchesLikeRedis) {
  EXPECT_TRUE(globMatch("cm:{*}:slots", "cm:{+1555}:slots"));
  EXPECT_TRUE(globMatch("cm:{unclaimed:*}:all", "cm:{unclaimed:7}:all"));
  EXPECT_FALSE(globMatch("cm:{unclaimed:*}:all", "cm:{unclaimed:7}:missed"));
  EXPECT_FALSE(globMatch("cm:agent:{*}", "cm:agent:{a}:claimed:x"));
}

TEST(RedisAcl, EveryServiceMayWriteItsOwnFamiliesAndNotTheOthers) {
  auto users = loadAcl();
  ASSERT_EQ(users.count("callmesh-notification"), 1u) << "docs/redis-users.acl not read";
  namespace nk = notification_keys;
  namespace pk = presence_keys;
  // The routing documents (issue 20): the provisioning API activates them, a router seeds an
  // empty Redis or mirrors its file in GitOps mode (one activation script either way).
  const std::vector<std::string> routing{routing_keys::kEpoch,      routing_keys::kActive,
                                         routing_keys::document(7), routing_keys::kVersions,
                                         routing_keys::kAudit,      routing_keys::kReplicas};
  auto plus = [](std::vector<std::string> keys, const std::vector<std::string>& more) {
    keys.insert(keys.end(), more.begin(), more.end());
    return keys;
  };
  const std::map<std::string, std::vector<std::string>> writes{
      {"callmesh-limiter",
       {numberSlotsKey("+15550100"), numberSlotsKey("+15550100", "acme"), accountSlotsKey("acme")}},
      {"callmesh-presence", {pk::call("c1@gw"), pk::numberOnCall("+15550100"), pk::agent("alice")}},
      {"callmesh-notification",
       plus({nk::record("c1@gw"), nk::unclaimedOf("c1@gw"), nk::unclaimedMissedOf("c1@gw"),
             nk::unclaimedShard(nk::kUnclaimedShards - 1), nk::agentUnclaimed("alice"),
             nk::agentClaimed("alice"), nk::agentAnswered("alice"), nk::numberSettings("+15550100"),
             nk::contact("k1"), nk::contactsByNumber("+15557770000"), record_keys::kStream,
             record_keys::call("c1@gw"), record_keys::byOutcome("busy"), webhook_keys::kOutbox,
             webhook_keys::queued("call.ended:c1@gw"),
             webhook_keys::delivery("s1/call.ended:c1@gw"), outbound_keys::callee("+15557770000")},
            routing)},
      {"callmesh-router", plus({outbound_keys::callee("+15557770000")}, routing)},
  };
  // Families two services write: the router its caller-ID history, notification the outbound
  // calls' outcomes (issue 20, seed 002), in fields of their own; the routing documents.
  std::set<std::string> shared(routing.begin(), routing.end());
  shared.insert(outbound_keys::callee("+15557770000"));
  for (const auto& [user, keys] : writes) {
    for (const auto& key : keys) {
      EXPECT_TRUE(anyMatch(users[user].write, key)) << user << " cannot write " << key;
      for (const auto& [other, _] : writes) {
        if (other == user || shared.count(key)) continue;
        EXPECT_FALSE(anyMatch(users[other].write, key)) << other << " may write " << key;
      }
    }
  }
  // What each reads of the others' families.
  EXPECT_TRUE(anyMatch(users["callmesh-router"].read, pk::agent("alice")));
  EXPECT_TRUE(anyMatch(users["callmesh-router"].read, nk::contactsByNumber("+15557770000")));
  EXPECT_TRUE(anyMatch(users["callmesh-presence"].read, numberSlotsKey("+15550100", "acme")));
  EXPECT_TRUE(anyMatch(users["callmesh-notification"].read, pk::call("c1@gw")));
  EXPECT_TRUE(anyMatch(users["callmesh-notification"].read, numberSlotsKey("+15550100")));
  // The routing documents' followers (issue 20): the limiter's run-time caps and presence's agent
  // registry read the active document; the limiter reports its version in the replicas' hash,
  // and neither may change a document.
  for (const auto* user : {"callmesh-limiter", "callmesh-presence"}) {
    EXPECT_TRUE(anyMatch(users[user].read, routing_keys::kActive)) << user;
    EXPECT_TRUE(anyMatch(users[user].read, routing_keys::document(7))) << user;
    EXPECT_FALSE(anyMatch(users[user].write, routing_keys::kActive)) << user;
    EXPECT_FALSE(anyMatch(users[user].write, routing_keys::document(7))) << user;
    EXPECT_FALSE(anyMatch(users[user].write, routing_keys::kEpoch)) << user;
  }
  EXPECT_TRUE(anyMatch(users["callmesh-limiter"].write, routing_keys::kReplicas));
  EXPECT_FALSE(anyMatch(users["callmesh-presence"].write, routing_keys::kReplicas));
}

}  // namespace
}  // namespace callmesh::redis
