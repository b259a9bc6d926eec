// Stop and start recording during a call (issue 19, seed 000_246ae9c7ee9a1def.txt "Enhanced
// Forwarding"): the notification API's RecordingCommand, carried out on rtpengine for a call this
// ingress holds. What a command does is planRecording's (recording_control.h); this side reads the
// call, sends the ng command through MediaPlane (bounded, counted) and answers RecordingReply.
#include <capnp/message.h>

#include "services/ingress/media_commands.h"
#include "services/ingress/recording_control.h"
#include "services/ingress/sip_proxy.h"
#include "shared/codec/capnp_codec.h"

namespace callmesh::ingress {

Result<std::vector<uint8_t>> SipProxy::onRecordingCommand(const zmq::message_t& payload) {
  auto decoded =
      codec::decode<schema::RecordingCommand>(payload.data(), payload.size(), "RecordingCommand");
  if (!decoded.ok()) return decoded.error();
  auto cmd = decoded.value()->root();
  auto action = cmd.getAction();
  // Bounded like a SIP Call-ID at the edge: a longer one names no call of ours.
  std::string call_id;
  if (cmd.getCallId().size() <= static_cast<size_t>(config_.ingress.max_call_id_bytes)) {
    call_id = cmd.getCallId();
  }
  std::string by = std::string(cmd.getRequestedBy()).substr(0, 128);

  RecordingCallState state;
  Call* call = call_id.empty() ? nullptr : calls_.find(call_id);
  if (call && call->id.kind == schema::CallKind::VOICE) {
    const CallMedia& m = sipOf(*call).media();
    state.known = true;
    state.answered = call->machine.phase() == CallStateMachine::Phase::Answered;
    state.anchored = m.state == CallMedia::State::Anchored && !m.answered_tag.empty();
    state.prevented = m.recording_prevented;
    state.recording = m.recording_on;
    state.segments = call->recording_segments;
  }
  RecordingStep step = planRecording(state, action);
  std::string detail = step.detail;
  if (step.ng_command) {
    CallMedia& m = sipOf(*call).mediaState();
    auto reply = media_.command(step.ng_command, callCommand(call_id), call_id);
    if (reply.ok()) {
      m.recording_on = action == schema::RecordingAction::START;
      if (m.recording_on) {
        ++call->recording_segments;
        // rtpengine 10.5 names no file in this reply; a later one may (kept when it does).
        std::string file = recordingOf(reply.value());
        if (!file.empty()) call->recordings.push_back(file);
      }
    } else {
      step.outcome = schema::RecordingOutcome::MEDIA_FAILED;
      detail = reply.error().describe().substr(0, 256);
    }
  }
  const char* outcome = recordingOutcomeName(step.outcome);
  metrics_.recordingCommands(recordingActionName(action), outcome).Increment();
  // Every other replica answers unknown_call to the same broadcast: only the holder logs.
  if (state.known) {
    log_.info("recording_command", {{"call_id", call_id},
                                    {"action", recordingActionName(action)},
                                    {"outcome", outcome},
                                    {"requested_by", by},
                                    {"detail", detail}});
  }

  codec::FrameBuilder mb;
  auto r = mb.initRoot<schema::RecordingReply>();
  r.setOutcome(step.outcome);
  r.setRecording(call ? sipOf(*call).media().recording_on : false);
  r.setSegments(static_cast<uint16_t>(call ? call->recording_segments : 0));
  r.setDetail(detail);
  return codec::encodeToBytes(mb);
}

}  // namespace callmesh::ingress
