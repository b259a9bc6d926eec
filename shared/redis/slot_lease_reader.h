#pragma once

#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"
#include "shared/redis/slot_keys.h"

namespace callmesh::redis {

// A call and the number whose slot it would hold.
struct CallSlot {
  std::string number;
  std::string call_id;
};

// Reads the concurrency-limiter's slot leases for a service that must not write them (presence's
// reconcile asks whether a call's ingress still renews its slot). The limiter owns the keys and
// the rule: a lease is live while its score, an expiry in Redis server milliseconds, is later
// than Redis's own clock (the limiter purges scores <= now before counting). Keys come from
// `SlotKeys`, built from the same cluster config as the limiter's.
class SlotLeaseReader {
 public:
  SlotLeaseReader(RedisClient& redis, SlotKeys keys) : redis_(redis), keys_(std::move(keys)) {}

  // For each of `calls`, in order, whether it holds a live slot lease now: one TIME, then one
  // ZSCORE per call in pipelined round trips of 1,000.
  Result<std::vector<bool>> held(const std::vector<CallSlot>& calls);

  const SlotKeys& keys() const { return keys_; }

 private:
  RedisClient& redis_;
  SlotKeys keys_;
};

}  // namespace callmesh::redis
