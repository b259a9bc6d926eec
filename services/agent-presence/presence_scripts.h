#pragma once

#include <string>

namespace callmesh::agent_presence {

// The Lua of line state: one transition per event kind, each checking the call's own record
// first so a redelivered or reordered event changes nothing it should not, and the batch script
// that runs a whole batch of events as one script call. PresenceLedger sends it.
//
// ARGV, per event: kind letter, key count, argument count, then its arguments; KEYS in order.
//   o offered      KEYS call, number's on-call set   ARGV number, at ms, call id
//   r ringing      KEYS call, agent                   ARGV agent, at ms
//   s stop ringing KEYS call, agent                   ARGV agent, at ms   (leg failed)
//   a answered     KEYS call, agent                   ARGV agent, at ms
//   e ended        KEYS call                          ARGV at ms, call id
// Replies one entry per event: the agents whose state changed, or {err = ...} for that event.
std::string presenceBatchScript();

}  // namespace callmesh::agent_presence
