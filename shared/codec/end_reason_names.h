#pragma once

#include "schemas/call.capnp.h"

namespace callmesh::codec {

// The name a call's end reason has in metrics labels, logs and call detail records. One mapping
// for the ingress (which ends calls) and notification (which records them), so the two cannot
// drift apart. A value this build does not know (a newer peer's schema) gives `unknown`: each
// caller says what that reads as.
inline const char* endReasonName(schema::EndReason reason, const char* unknown) {
  switch (reason) {
    case schema::EndReason::CALLER_HANGUP:
      return "caller_hangup";
    case schema::EndReason::CALLEE_HANGUP:
      return "callee_hangup";
    case schema::EndReason::CALLER_CANCEL:
      return "caller_cancel";
    case schema::EndReason::REJECTED:
      return "rejected";
    case schema::EndReason::NO_ANSWER:
      return "no_answer";
    case schema::EndReason::BUSY:
      return "busy";
    case schema::EndReason::FAILED:
      return "failed";
    case schema::EndReason::MAX_DURATION:
      return "max_duration";
    case schema::EndReason::INTERNAL_ERROR:
      return "internal_error";
    case schema::EndReason::DELIVERED:
      return "delivered";
  }
  return unknown;
}

}  // namespace callmesh::codec
