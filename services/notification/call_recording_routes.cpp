// Stop and start a live call's recording through the API (issue 19, seed 000_246ae9c7ee9a1def.txt
// "Enhanced Forwarding"): POST /v1/calls/{call_id}/recording {"recording": "stop"|"start"}, by an
// admin or the agent who answered that call. Who answered is agent-presence's call hash
// (shared/redis/live_calls_reader.h); the command itself goes to the ingress that holds the call
// (recording_control.h), which has rtpengine carry it out. Every refusal changes nothing.
#include <nlohmann/json.hpp>

#include "services/notification/api_json.h"
#include "services/notification/api_reply.h"
#include "services/notification/live_call_api.h"
#include "services/notification/recording_control.h"
#include "shared/codec/recording_names.h"
#include "shared/redis/live_calls_reader.h"

namespace callmesh::notification {

namespace {

using Outcome = schema::RecordingOutcome;

// callmesh_notification_recording_commands_total{action,outcome}: the ingress's outcomes
// (applied, unchanged, unknown_call, not_answered, not_anchored, prevented, media_failed) and the
// API's own refusals (forbidden, not_live, unavailable, invalid).
ApiReply counted(ApiDeps& d, const std::string& action, const char* outcome, ApiReply r) {
  d.metrics.recordingCommands(action, outcome).Increment();
  return r;
}

}  // namespace

ApiReply setCallRecording(ApiDeps& d, const ApiRequest& req, const Principal& who) {
  const std::string& call_id = req.param(0);
  auto body = parseBody(req.body, {{"recording", BodyField::Type::String, true}});
  if (!body.ok()) return counted(d, "invalid", "invalid", refuseInput(body.error()));
  std::string action = (*body)["recording"];
  if (action != "stop" && action != "start") {
    return counted(d, "invalid", "invalid",
                   refuse(400, "invalid_request", "field 'recording' must be stop or start",
                          {{"field", "recording"}}));
  }
  if (call_id.size() > static_cast<size_t>(d.config.ingress.max_call_id_bytes)) {
    return counted(d, action, "invalid",
                   refuse(400, "invalid_request",
                          "a Call-ID is at most " +
                              std::to_string(d.config.ingress.max_call_id_bytes) + " bytes"));
  }
  if (!d.recording) {
    return counted(d, action, "unavailable",
                   refuse(503, "recording_control_off",
                          "recording cannot be changed during calls: ingress.control_bind is not "
                          "configured"));
  }
  auto live = redis::readLiveCall(d.redis, call_id);
  if (!live.ok()) return counted(d, action, "unavailable", redisDown(d.log, live.error()));
  if (!live->has_value() || (*live)->state == "ended") {
    return counted(d, action, "not_live",
                   refuse(404, "call_not_live", "no live call with Call-ID '" + call_id + "'"));
  }
  const redis::LiveCall& call = **live;
  if (!who.admin && call.answered_by != who.agent_id) {
    return counted(d, action, "forbidden",
                   refuse(403, "forbidden",
                          "only an admin or the agent who answered call '" + call_id +
                              "' may change its recording"));
  }
  if (call.state != "answered") {
    return counted(d, action, "not_answered",
                   refuse(409, "call_not_answered",
                          "call '" + call_id + "' is not answered: nothing is recorded yet"));
  }
  auto done = d.recording->setRecording(call_id, action == "start", who.agent_id);
  if (!done.ok())
    return counted(d, action, "unavailable", unavailable(d.log, "ingress", done.error()));
  const char* outcome = codec::recordingOutcomeName(done->outcome);
  switch (done->outcome) {
    case Outcome::APPLIED:
    case Outcome::UNCHANGED:
      d.log.info("recording_changed", {{"call_id", call_id},
                                       {"recording", action},
                                       {"by", who.agent_id},
                                       {"outcome", std::string(outcome)}});
      return counted(d, action, outcome,
                     reply(200, {{"call_id", call_id},
                                 {"recording", done->recording ? "on" : "off"},
                                 {"changed", done->outcome == Outcome::APPLIED},
                                 {"segments", done->segments}}));
    case Outcome::UNKNOWN_CALL:
      return counted(d, action, outcome,
                     refuse(404, "call_not_live",
                            "no ingress holds call '" + call_id + "' (it may have just ended)"));
    case Outcome::NOT_ANSWERED:
      return counted(d, action, outcome,
                     refuse(409, "call_not_answered",
                            "call '" + call_id + "' is not answered: nothing is recorded yet"));
    case Outcome::NOT_ANCHORED:
      return counted(d, action, outcome,
                     refuse(409, "media_not_anchored",
                            "call '" + call_id +
                                "' does not pass the media plane (rtpengine): "
                                "it cannot be recorded"));
    case Outcome::PREVENTED:
      return counted(d, action, outcome,
                     refuse(409, "recording_prevented",
                            "call '" + call_id + "' may not be recorded: " + done->detail));
    case Outcome::MEDIA_FAILED:
      d.log.warn("recording_change_failed",
                 {{"call_id", call_id}, {"recording", action}, {"error", done->detail}});
      return counted(d, action, outcome,
                     refuse(502, "media_failed",
                            "the media plane did not " + action + " recording call '" + call_id +
                                "'; nothing changed"));
  }
  return counted(d, action, "unavailable",
                 refuse(503, "unavailable", "ingress unavailable; try again shortly"));
}

}  // namespace callmesh::notification
