#pragma once

#include <string>

namespace callmesh::agent_presence {

// Line state on Redis Cluster (docs/redis-cluster.md): the transitions of presence_scripts.h split
// so each script touches one hash slot. The call's own record decides (idempotence: ring once per
// call and agent, answer once, end once) in a script on the call's slot, which replies the
// follow-ups it allows; the agents' counters are then changed by a script on each agent's slot,
// and the number's on-call set by a plain SADD / SREM.
//
// presenceCallBatchScript(): KEYS and ARGV per event exactly as presenceBatchScript() takes them,
// but only the call key (an event's first key) is passed: KEYS per event is 1.
// Replies one entry per event: a flat list of follow-ups, op then target:
//   n+ <number>   SADD the call to the number's on-call set      (offered)
//   n- <number>   SREM it                                         (ended)
//   r+ <agent>    the agent rings one more call                   (ringing)
//   r- <agent>    one call fewer rings the agent                  (stop ringing, ended)
//   a1 <agent>    answered by the agent, whose leg was ringing     (answered)
//   a0 <agent>    answered by the agent, whose leg was not ringing (answered)
//   e  <agent>    the call the agent answered ended               (ended)
// or {err = ...} for that event.
std::string presenceCallBatchScript();

// KEYS: one agent key per follow-up (all in one slot). ARGV: per follow-up its op (r+, r-, a1,
// a0, e) and the event's time in ms. Applies them in order; replies the number applied.
std::string presenceAgentScript();

}  // namespace callmesh::agent_presence
