#pragma once

#include <cstddef>
#include <string>

#include "schemas/media.capnp.h"
#include "shared/codec/recording_names.h"

namespace callmesh::ingress {

// Stop and start a call's recording on the notification API's word (issue 19, seed
// 000_246ae9c7ee9a1def.txt "Enhanced Forwarding"). The API sends every ingress replica the
// command (RecordingCommand, schemas/media.capnp); the one that holds the call carries it out, the
// others answer unknownCall. Pure: what a command does to a call is decided here, unit-tested;
// SipProxy::onRecordingCommand (recording_commands.cpp) sends the ng command it names.

// What the ingress knows of the call a command names.
struct RecordingCallState {
  bool known = false;      // this ingress holds the call
  bool answered = false;   // the call is connected
  bool anchored = false;   // rtpengine relays its media and was given the answer
  bool prevented = false;  // prevent_recording on the answering number, or media.record off
  bool recording = false;  // rtpengine records it now
  size_t segments = 0;     // recording segments so far (1 + starts after a stop)
};

// Starts after a stop make a new file each (rtpengine 10.5): a call gets at most this many, so
// an API caller toggling in a loop cannot fill the recording spool with files.
inline constexpr size_t kMaxRecordingSegments = 32;

struct RecordingStep {
  schema::RecordingOutcome outcome = schema::RecordingOutcome::UNKNOWN_CALL;
  const char* ng_command = nullptr;  // set: send it; the outcome is applied when it succeeds
  const char* detail = "";           // why, for refusals
};

RecordingStep planRecording(const RecordingCallState& call, schema::RecordingAction action);

// The metric label and API code of each outcome: applied, unchanged, unknown_call, not_answered,
// not_anchored, prevented, media_failed.
using codec::recordingActionName;  // shared/codec/recording_names.h
using codec::recordingOutcomeName;

}  // namespace callmesh::ingress
