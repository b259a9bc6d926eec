#pragma once

#include "schemas/media.capnp.h"

namespace callmesh::codec {

// The names a recording command's action and outcome have in metrics labels, logs and the HTTP
// API (issue 19, seed 000 "Enhanced Forwarding"). One mapping for the ingress, which carries a
// command out, and notification, which asked for it, so the two cannot drift apart.
inline const char* recordingOutcomeName(schema::RecordingOutcome outcome) {
  switch (outcome) {
    case schema::RecordingOutcome::APPLIED:
      return "applied";
    case schema::RecordingOutcome::UNCHANGED:
      return "unchanged";
    case schema::RecordingOutcome::UNKNOWN_CALL:
      return "unknown_call";
    case schema::RecordingOutcome::NOT_ANSWERED:
      return "not_answered";
    case schema::RecordingOutcome::NOT_ANCHORED:
      return "not_anchored";
    case schema::RecordingOutcome::PREVENTED:
      return "prevented";
    case schema::RecordingOutcome::MEDIA_FAILED:
      return "media_failed";
  }
  return "unknown_call";
}

inline const char* recordingActionName(schema::RecordingAction action) {
  return action == schema::RecordingAction::STOP ? "stop" : "start";
}

}  // namespace callmesh::codec
