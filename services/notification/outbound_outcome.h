#pragma once

// Outcomes of agents' outbound calls written back to the outbound history the router reads
// (seed 002_39a4312a6c94260d.txt: "the project's outcomes might decide which number should be used
// for the next call"; issue 20 item 6), so the outcome-chosen number works from the cluster's own
// records and not only from the dialer's X-Callmesh-Last-Outcome header.
#include <cstdint>
#include <string>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"

namespace callmesh::notification {

// Writes `outcome:<project>` (and `outcome_at_ms:<project>`) of `cm:outbound:{<callee>}` (the
// router owns the family; the name comes from redis::outbound_keys). One Lua script: an outcome
// older than the one stored (a re-sent end of an earlier call) changes nothing, so a late
// re-delivery never hides the latest call's outcome. Returns true when written.
class OutboundOutcomes {
 public:
  explicit OutboundOutcomes(redis::RedisClient& redis);
  Result<bool> record(const std::string& callee, const std::string& project,
                      const std::string& outcome, int64_t ended_at_ms);

 private:
  redis::RedisClient& redis_;
  redis::RedisScript script_;
};

}  // namespace callmesh::notification
