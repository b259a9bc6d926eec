#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shared/redis/primary_connector.h"
#include "shared/testing/redis_server.h"

namespace callmesh::testing {

// A real Redis Cluster for one test suite: `masters` masters with one replica each
// (redis-server --cluster-enabled yes on free loopback ports whose bus ports, port + 10000, are
// free too; `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes`), ready once
// every node reports cluster_state:ok and the same full slot map. Every node is a RedisServer,
// stopped by pid when this is destroyed, also when the constructor throws half way.
class RedisCluster {
 public:
  explicit RedisCluster(int masters = 3);
  ~RedisCluster();
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  // The seed nodes for RedisEndpoint::cluster_nodes (every node).
  std::vector<redis::RedisAddress> nodes() const;
  redis::RedisEndpoint endpoint(int timeout_ms = 1000) const;
  RedisServer& node(size_t i) { return *servers_[i]; }
  size_t size() const { return servers_.size(); }

  // The port of the master serving `slot` right now (asked of the first node).
  int masterPortOf(int slot) const;
  // One master's port other than `port`.
  int otherMasterPort(int port) const;
  // Moves `slot` with its keys from the master on `from` to the one on `to` (SETSLOT IMPORTING /
  // MIGRATING, MIGRATE, SETSLOT NODE), as `redis-cli --cluster reshard` does; `stop_before_node`
  // leaves it half way (keys migrated, ownership not yet given), so clients get ASK.
  void migrateSlot(int slot, int from, int to, bool stop_before_node = false);
  // Finishes a migration left half way: SETSLOT NODE on every master.
  void finishMigration(int slot, int to);

 private:
  void waitUntilReady() const;

  std::vector<std::unique_ptr<RedisServer>> servers_;
};

}  // namespace callmesh::testing
