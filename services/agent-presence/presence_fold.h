#pragma once

#include <cstddef>
#include <vector>

#include "services/agent-presence/presence_ledger.h"

namespace callmesh::agent_presence {

// One entry of the batch script's ARGV: one event, or several events of one call that one
// transition applies together (`folded`).
struct ScriptEvent {
  std::vector<size_t> events;  // indices into the batch, in their order
  bool folded = false;
};

// The batch's events as the batch script takes them. A call whose events in the batch are its
// `offered`, then at most an `answered` on a plain phone (no agent), then at most its `ended`
// (two or more of them, nothing else) is folded into one `f` transition (presence_scripts.cpp
// kFoldedLua): a call forwarded to a phone and hung up within one ingress tick costs Redis 3
// commands instead of 10. A folded call's entry takes the place of its last event; the events it
// moves later touch only the call's own record and its own member of the number's on-call set,
// which no other call's event reads. Every other event keeps its own entry, in order.
// `needed` lists the indices of the events that go to Redis, ascending.
std::vector<ScriptEvent> planScriptEvents(const std::vector<LineEvent>& events,
                                          const std::vector<size_t>& needed);

}  // namespace callmesh::agent_presence
