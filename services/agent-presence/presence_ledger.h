#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"

namespace callmesh::agent_presence {

struct ScriptEvent;

// One agent's state as kept in `cm:agent:{<id>}` (docs/redis-keys.md).
struct AgentRecord {
  std::string agent_id;
  std::string availability = "available";  // absent in Redis = available
  int64_t on_call = 0;
  int64_t ringing = 0;
  int64_t changed_at_ms = 0;
  int64_t idle_since_ms = 0;
};

// One call event as line state sees it; each kind reads only the fields it names.
struct LineEvent {
  enum class Kind { Offered, LegRinging, LegFailed, Answered, Ended };
  Kind kind = Kind::Offered;
  std::string call_id;
  std::string number;    // Offered: the dialed number
  std::string agent_id;  // LegRinging, LegFailed, Answered
  int64_t at_ms = 0;
  std::string caller;  // Offered: who calls (shown in the admins' live-calls view)
  std::string rule;    // Offered: the router rule that planned the call
};

// What Redis made of one LineEvent: the agents whose state changed, or why it was not applied.
using LineOutcome = Result<std::vector<std::string>>;

// Live line state derived from call events, kept in Redis so it survives a restart and every
// replica sees the same thing. Each transition is a Lua function that checks the call's own
// record first (a batch of events is one script call), so a redelivered or reordered event
// (at-least-once delivery) changes nothing it should not: ringing after the end, an answer after
// the end, a second end.
//
// Keys (docs/redis-keys.md; names from shared/redis/keys.h, presence_keys):
//   cm:call:{<call-id>}:presence  hash: number, caller, rule, state, answered_by, counted,
//                                 offered_at_ms, ended,
//                                 ring:<agent> (1 ringing, 0 done)  (expires 1 h after the end)
//   cm:agent:{<agent-id>}          hash: availability, on_call, ringing, changed_at_ms,
//                                 idle_since_ms
//   cm:number:{<number>}:oncall    set of call ids on a call to that number now
// Every mutator returns the agents whose state changed (for presence.changed events). Rebuilding
// this state from the live calls (reconcile) is PresenceReconciler's, in presence_reconcile.h.
class PresenceLedger {
 public:
  explicit PresenceLedger(redis::RedisClient& redis);

  // Applies `events` in order, as one script call per 200 events, all in ONE pipelined round trip
  // (plus one SCRIPT LOAD round trip the first time, and one more load and re-run of the refused
  // script calls when Redis answers NOSCRIPT after a restart or SCRIPT FLUSH). Returns one outcome
  // per event, in the same order. An event's error is its own: the events after a failed one
  // still run, so look at every outcome. The outer error means no reply came back (connection
  // lost, timeout): any prefix of the events may have been applied, which is safe to repeat
  // because every transition is idempotent per call.
  Result<std::vector<LineOutcome>> applyEvents(const std::vector<LineEvent>& events);

  Status offered(const std::string& call_id, const std::string& number, int64_t at_ms);
  Result<std::vector<std::string>> legRinging(const std::string& call_id,
                                              const std::string& agent_id, int64_t at_ms);
  Result<std::vector<std::string>> legFailed(const std::string& call_id,
                                             const std::string& agent_id, int64_t at_ms);
  Result<std::vector<std::string>> answered(const std::string& call_id, const std::string& agent_id,
                                            int64_t at_ms);
  Result<std::vector<std::string>> ended(const std::string& call_id, int64_t at_ms);

  Status setAvailability(const std::string& agent_id, const std::string& availability,
                         int64_t at_ms);
  Result<std::vector<AgentRecord>> agents(const std::vector<std::string>& ids);

  Result<int64_t> agentOnCall(const std::string& agent_id);
  Result<int64_t> numberOnCall(const std::string& number);

 private:
  // Loads the batch script unless its sha is cached.
  Status loadScript();
  // False for events that change nothing by definition (a leg without an agent).
  static bool needsRedis(const LineEvent& event);
  // Appends `event`'s keys and its part of the batch script's ARGV.
  static void appendEvent(const LineEvent& event, std::vector<std::string>& keys,
                          std::vector<std::string>& args);
  // Appends one entry of the batch script's ARGV: an event, or a call's folded events
  // (presence_fold.h).
  static void appendScriptEvent(const std::vector<LineEvent>& events, const ScriptEvent& entry,
                                std::vector<std::string>& keys, std::vector<std::string>& args);
  LineOutcome singleOutcome(const LineEvent& event);
  // applyEvents on Redis Cluster (presence_slot_path.cpp): one hash slot per script call.
  Result<std::vector<LineOutcome>> applyEventsPerSlot(const std::vector<LineEvent>& events);

  redis::RedisClient& redis_;
  redis::RedisScript batch_script_;  // every transition, for a whole batch of events
  // Redis Cluster: the call-slot halves of the transitions, and the agent-slot halves.
  redis::RedisScript call_script_;
  redis::RedisScript agent_script_;
};

}  // namespace callmesh::agent_presence
