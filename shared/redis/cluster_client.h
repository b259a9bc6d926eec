#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "shared/redis/cluster_slots.h"
#include "shared/redis/failover_policy.h"
#include "shared/redis/primary_connector.h"
#include "shared/redis/redis_client.h"

struct redisContext;

namespace callmesh::redis {

// RedisClient over a Redis Cluster (cluster.yaml `redis.cluster_nodes`, docs/redis-cluster.md).
// It learns which master serves each hash slot from `CLUSTER SLOTS` (asking the seed nodes, then
// the masters it knows), keeps one connection per master, and sends each command to the master of
// its keys' slot. A pipeline is split per master (one round trip to each, in parallel) and its
// replies put back in order; a keyless command (WAIT after a script) goes where the command before
// it went. `MOVED` updates the map and resends there; `ASK` sends `ASKING` and the command to the
// importing node once; both are bounded (kMaxRedirects per command) and a command that keeps being
// redirected fails with an error naming its key and the last node. A lost connection, READONLY,
// LOADING or CLUSTERDOWN drops that node's connection and marks the map stale: the next call
// refreshes it (with the same bounded backoff as HiredisClient), so after a failover the promoted
// replica is found. `SCRIPT LOAD` goes to every master (a script must be known where its keys
// are). `SCAN` walks every master in turn (the cursor names the master and its own cursor).
// Commands whose keys are in different slots are refused before sending (CROSSSLOT), naming them;
// callers group per slot (RedisClient::clustered()). MULTI is refused: a transaction spans one
// node. One instance belongs to one thread, like HiredisClient.
class ClusterClient final : public RedisClient {
 public:
  static constexpr int kMaxRedirects = 5;
  // More connections than this means the map churned: the ones to non-masters are closed.
  static constexpr size_t kMaxConnections = 64;

  explicit ClusterClient(RedisEndpoint endpoint);
  ~ClusterClient() override;
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  Result<RedisReply> command(const std::vector<std::string>& argv) override;
  Result<std::vector<RedisReply>> pipeline(
      const std::vector<std::vector<std::string>>& commands) override;
  Result<RedisReply> evalScript(RedisScript& script, const std::vector<std::string>& keys,
                                const std::vector<std::string>& args) override;
  bool connected() const override { return !map_stale_ && !conns_.empty(); }
  bool clustered() const override { return true; }
  uint64_t primaryEpoch() const override { return epoch_; }

  // Counters for tests and metrics: redirections followed, slot map loads.
  uint64_t movedFollowed() const { return moved_; }
  uint64_t askFollowed() const { return asked_; }
  uint64_t mapRefreshes() const { return refreshes_; }
  const SlotMap& slotMap() const { return map_; }

 private:
  struct Unit;  // one keyed command and the keyless ones that follow it
  Status ensureMap();
  Status refreshMap();
  Result<redisContext*> connectionTo(const RedisAddress& at);
  void drop(const RedisAddress& at);
  Error nodeError(const RedisAddress& at, const std::string& what, const std::string& key);
  Result<RedisReply> scan(const std::vector<std::string>& argv);
  Result<RedisReply> broadcast(const std::vector<std::string>& argv);

  RedisEndpoint endpoint_;
  std::map<std::string, redisContext*> conns_;  // by host:port
  SlotMap map_;
  bool map_stale_ = true;
  std::minstd_rand jitter_;
  ReconnectBackoff backoff_;
  int64_t retry_at_ms_ = 0;
  std::vector<RedisAddress> last_masters_;
  uint64_t epoch_ = 0;
  uint64_t moved_ = 0;
  uint64_t asked_ = 0;
  uint64_t refreshes_ = 0;
};

}  // namespace callmesh::redis
