#pragma once

// Live calls as agent-presence keeps them (docs/redis-keys.md `cm:number:{<n>}:oncall`,
// `cm:call:{<id>}:presence`), for readers that are not agent-presence (the notification API's
// admin view). Agent-presence owns these keys; this reader builds their names only through
// presence_keys, so a change of layout is made in one place.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"

namespace callmesh::redis {

struct LiveCall {
  std::string call_id;
  std::string number;       // the number that was called
  std::string state;        // offered | answered | ended
  std::string answered_by;  // agent id, empty while ringing
  int64_t offered_at_ms = 0;
  std::string caller;                // who calls (empty for calls offered before it was kept)
  std::string rule;                  // the router rule that planned the call
  std::vector<std::string> ringing;  // agents whose phone rings for it now, sorted
};

// Every call some number's on-call set names, read with SCAN (never KEYS) and one pipelined
// HGETALL per call (the hash is small: a few fields and one `ring:<agent>` per agent rung). Stops
// collecting ids once `max_calls` are known, so a runaway set cannot make one request unbounded. A
// call whose hash is gone (ended between the two reads) comes back with empty fields; only a call
// whose read failed is left out.
Result<std::vector<LiveCall>> readLiveCalls(RedisClient& redis, size_t max_calls = 10000);

// One call's hash (one HGETALL): nullopt when agent-presence holds no such call; state "ended"
// when its `ended` mark is set (the hash outlives the call briefly).
Result<std::optional<LiveCall>> readLiveCall(RedisClient& redis, const std::string& call_id);

}  // namespace callmesh::redis
