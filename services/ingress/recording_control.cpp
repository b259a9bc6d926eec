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

}  // namespace callmesh::ingress
