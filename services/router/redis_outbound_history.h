#pragma once

#include <string>

#include "services/router/outbound_history.h"
#include "services/router/redis_retry_gate.h"
#include "services/router/router_metrics.h"
#include "shared/redis/redis_client.h"

namespace callmesh::router {

// OutboundHistory over one hash per callee (docs/redis-keys.md; the router owns the family, named
// in redis::outbound_keys::callee):
//
//   cm:outbound:{<callee e164>}   last_number, last_project, last_at_ms,
//                                 attempts:<project>, used:<project> (comma list),
//                                 outcome:<project> (written by the dialer/API, read here)
//
// One HMGET to read, one Lua script to record (HSET + HINCRBY on the one key, atomically), so two
// agents calling the same contact at once both count. Every key of one contact is in one hash
// slot. A Redis failure (or the gate shut after a recent one) returns an Error and counts in
// `counters.unreachable`; a field not shaped as documented reads as absent and counts in
// `counters.bad_data`. `redis`, `gate` and `counters` are borrowed; loop thread only.
class RedisOutboundHistory final : public OutboundHistory {
 public:
  RedisOutboundHistory(redis::RedisClient& redis, RedisRetryGate& gate,
                       DirectoryErrorCounters counters)
      : redis_(redis), gate_(gate), counters_(counters) {}

  Result<ContactHistory> read(const std::string& callee, const std::string& project) override;
  Status record(const std::string& callee, const std::string& project,
                const OutboundAttempt& attempt) override;

 private:
  Error unreachable(Error e);

  redis::RedisClient& redis_;
  RedisRetryGate& gate_;
  DirectoryErrorCounters counters_;
  redis::RedisScript record_script_;
};

}  // namespace callmesh::router
