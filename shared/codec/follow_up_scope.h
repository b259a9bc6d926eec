#pragma once

#include <string_view>

#include "schemas/call.capnp.h"

namespace callmesh::codec {

// Whether a call's end can call for a follow-up record (seed 004): the notification service acts
// on no other end, and the ingress sends it no other (CallEventPublisher), so it is not woken to
// decode and drop them. Not a follow-up: a call refused before anything rang (cap, unknown
// number, loop), an agent's own outbound call (seed 002), and a call answered at a phone no agent
// answers (a plain tracking-number forward has nobody to show the record to).
inline bool endMayNeedFollowUp(bool answered, std::string_view answered_agent,
                               schema::EndReason reason, std::string_view rule) {
  if (reason == schema::EndReason::REJECTED) return false;
  if (rule == "outbound_caller_id") return false;
  return !(answered && answered_agent.empty());
}

}  // namespace callmesh::codec
