#include "services/ingress/recording_control.h"

namespace callmesh::ingress {

using Outcome = schema::RecordingOutcome;

RecordingStep planRecording(const RecordingCallState& call, schema::RecordingAction action) {
  if (!call.known) return {Outcome::UNKNOWN_CALL, nullptr, "no such call on this ingress"};
  if (!call.answered) return {Outcome::NOT_ANSWERED, nullptr, "the call is not answered yet"};
  if (!call.anchored) {
    return {Outcome::NOT_ANCHORED, nullptr, "the call's media does not pass the media plane"};
  }
  if (action == schema::RecordingAction::STOP) {
    if (!call.recording) return {Outcome::UNCHANGED, nullptr, "not being recorded"};
    return {Outcome::APPLIED, "stop recording", ""};
  }
  // A number that prevents recording is never recorded, whoever asks.
  if (call.prevented) {
    return {Outcome::PREVENTED, nullptr, "the answering number prevents recording"};
  }
  if (call.recording) return {Outcome::UNCHANGED, nullptr, "already being recorded"};
  if (call.segments >= kMaxRecordingSegments) {
    return {Outcome::PREVENTED, nullptr, "the call has its most recording segments (32)"};
  }
  return {Outcome::APPLIED, "start recording", ""};
}

const char* recordingOutcomeName(schema::RecordingOutcome outcome) {
  switch (outcome) {
    case Outcome::APPLIED:
      return "applied";
    case Outcome::UNCHANGED:
      return "unchanged";
    case Outcome::UNKNOWN_CALL:
      return "unknown_call";
    case Outcome::NOT_ANSWERED:
      return "not_answered";
    case Outcome::NOT_ANCHORED:
      return "not_anchored";
    case Outcome::PREVENTED:
      return "prevented";
    case Outcome::MEDIA_FAILED:
      return "media_failed";
  }
  return "unknown_call";
}

const char* recordingActionName(schema::RecordingAction action) {
  return action == schema::RecordingAction::STOP ? "stop" : "start";
}

}  // namespace callmesh::ingress
