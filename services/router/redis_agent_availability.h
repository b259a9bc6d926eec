#pragma once

#include <string>

#include "services/router/agent_availability.h"
#include "services/router/redis_retry_gate.h"
#include "services/router/router_metrics.h"
#include "shared/redis/redis_client.h"

namespace callmesh::router {

// AgentAvailability read from the hash agent-presence keeps per agent (docs/redis-keys.md; the
// name comes from its owner, redis::presence_keys::agent):
//
//   cm:agent:{<agent-id>}  availability (available|away|offline|dnd; absent = available),
//                          on_call, ringing, idle_since_ms
//
// `on_call` > 0 or `ringing` > 0 is Busy; away, offline and dnd are Unavailable; otherwise
// Available. An agent without a hash is Available (configured but never seen by presence).
//
// Redis is read on every call to status(), i.e. once per agent per decision, so a change that
// presence writes is seen by the next decision: well within the 100 ms the router promises.
//
// Fails open: when Redis cannot be reached (or the gate is shut after a recent failure) the
// agent counts as Available and idle since the epoch, and `counters.unreachable` counts it; a
// field that is not what the key contract says counts in `counters.bad_data` and is read as absent.
// `redis`, `gate` and `counters` are borrowed; everything runs on the router's loop thread.
class RedisAgentAvailability final : public AgentAvailability {
 public:
  RedisAgentAvailability(redis::RedisClient& redis, RedisRetryGate& gate,
                         DirectoryErrorCounters counters)
      : redis_(redis), gate_(gate), counters_(counters) {}

  AgentStatus status(const std::string& agent_id) const override;

 private:
  redis::RedisClient& redis_;
  RedisRetryGate& gate_;
  DirectoryErrorCounters counters_;
};

}  // namespace callmesh::router
