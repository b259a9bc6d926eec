// The SIP side of the media plane (issue 19): rtpengine anchors each call's RTP (offer on the
// INVITE, answer on 183/200, the same for re-INVITEs, delete when the call ends by any path), and
// plays what the receiving number asked for once it answers (seed 000_246ae9c7ee9a1def.txt):
// extension digits as RFC 4733 events, then the whisper. Every command goes through MediaPlane
// (bounded, counted, logged); a failure never ends a call that is already ringing or answered.
#include "services/ingress/media_commands.h"
#include "services/ingress/sip_body.h"
#include "services/ingress/sip_proxy.h"

namespace callmesh::ingress {

namespace {

using State = CallMedia::State;
constexpr int kFirstDigitRetryMs = 100;  // the caller's first RTP has not reached rtpengine yet
constexpr int kFirstDigitRetries = 30;   // ... for at most 3 s, then the digits are given up

void featureTimerTrampoline(void*, su_timer_t*, void* call) {
  auto* c = static_cast<Call*>(call);
  sipOf(*c).proxy->onMediaFeatureTimer(c);
}

bool anyDigits(const RoutePlan& plan) {
  for (const auto& step : plan.steps) {
    for (const auto& t : step.targets) {
      if (!t.extension_digits.empty()) return true;
    }
  }
  return false;
}

}  // namespace

bool SipProxy::offerMedia(SipCall& sc, const sip_t* sip) {
  if (!media_.enabled() || sc.id.kind != schema::CallKind::VOICE) return true;
  CallMedia& m = sc.mediaState();
  std::string sdp = sdpBody(sip);
  if (sdp.empty()) {
    // A late offer: anchored when the 2xx brings the offer (media_late_offer.cpp). fail_mode
    // closed cannot refuse then (the call is answered): a failure there is counted like any.
    m.late_offer = true;
    return true;
  }
  m.caller_sdp = sdp;
  auto reply = media_.command("offer", offerCommand(sc.id.call_id, sc.caller_tag, sdp, false),
                              sc.id.call_id);
  if (reply.ok() && !sdpOf(reply.value()).empty()) {
    m.state = State::Anchored;
    m.offer_sdp = sdpOf(reply.value());
    metrics_.media_anchored.Increment();
    log_.info("media_anchored",
              {{"call_id", sc.id.call_id}, {"rtpengine", media_.settings().rtpengine}});
    return true;
  }
  const char* reason = reply.ok() ? "rejected" : MediaPlane::failureReason(reply.error());
  media_.callNotAnchored(sc.id.call_id, reason,
                         reply.ok() ? "offer reply without SDP" : reply.error().describe());
  m.state = media_.failClosed() ? State::Refused : State::Unanchored;
  return m.state != State::Refused;
}

void SipProxy::anchorOffer(Call& call, msg_t* fwd) {
  SipCall& sc = sipOf(call);
  if (sc.media().state != State::Anchored) return;
  CallMedia& m = sc.mediaState();
  if (!m.inject_dtmf && anyDigits(*call.machine.plan())) {
    // A target of the plan dials an extension: the offer is repeated with inject-DTMF (rtpengine
    // takes it as a re-offer of the same SDP, same ports) so `play DTMF` can put events into the
    // caller's stream. Only such calls pay for passing through rtpengine's codec handler.
    m.inject_dtmf = true;
    auto reply = media_.command(
        "offer", offerCommand(call.id.call_id, sc.caller_tag, m.caller_sdp, true), call.id.call_id);
    if (reply.ok() && !sdpOf(reply.value()).empty()) m.offer_sdp = sdpOf(reply.value());
  }
  if (!replaceSdpBody(fwd, m.offer_sdp)) {
    log_.warn("media_sdp_rewrite_failed", {{"call_id", call.id.call_id}});
  }
}

void SipProxy::anchorAnswer(Call& call, size_t branch, msg_t* out, bool answered) {
  SipCall& sc = sipOf(call);
  const CallMedia& seen = sc.media();
  if (seen.late_offer && seen.state == State::Off && answered)
    return anchorLateOffer(call, branch, out);
  if (seen.state != State::Anchored || !out) return;
  CallMedia& m = sc.mediaState();
  sip_t* rsip = sip_object(out);
  std::string sdp = sdpBody(rsip);
  if (sdp.empty()) return;  // a 180 without early media, or a 200 repeating no SDP
  std::string to_tag = rsip->sip_to && rsip->sip_to->a_tag ? rsip->sip_to->a_tag : "";
  const PlanTarget& target = call.machine.target(branch);
  bool record = answered && media_.settings().record && !target.prevent_recording;
  auto reply = media_.command(
      "answer", answerCommand(call.id.call_id, sc.caller_tag, to_tag, sdp, m.inject_dtmf, record),
      call.id.call_id);
  if (!reply.ok() || sdpOf(reply.value()).empty()) {
    // The offer went through rtpengine, so the phone already sends to it; the caller is given the
    // phone's own SDP and sends straight to it: one direction relayed, one direct, and audio still
    // flows both ways. The call is not ended for a media failure once it rings.
    media_.callNotAnchored(call.id.call_id,
                           reply.ok() ? "rejected" : MediaPlane::failureReason(reply.error()),
                           reply.ok() ? "answer reply without SDP" : reply.error().describe());
    return;
  }
  replaceSdpBody(out, sdpOf(reply.value()));
  if (answered) {
    m.answered_tag = to_tag;
    noteRecording(call, reply.value(), target);
  }
}

void SipProxy::noteRecording(Call& call, const media::BValue& reply, const PlanTarget& target) {
  CallMedia& m = sipOf(call).mediaState();
  m.recording = recordingOf(reply);
  m.recording_on = !m.recording.empty();
  m.recording_prevented = !media_.settings().record || target.prevent_recording;
  if (m.recording_on) {
    call.recordings.push_back(m.recording);
    call.recording_segments = 1;
  }
  log_.info("media_answered", {{"call_id", call.id.call_id},
                               {"recording", m.recording.empty() ? "off" : m.recording},
                               {"prevent_recording", target.prevent_recording ? "yes" : "no"},
                               {"late_offer", m.late_offer ? "yes" : "no"}});
}

void SipProxy::startMediaFeatures(Call& call, size_t branch) {
  SipCall& sc = sipOf(call);
  if (sc.media().state != State::Anchored || sc.media().answered_tag.empty()) return;
  CallMedia& m = sc.mediaState();
  if (m.ack_answer_pending) {
    // A late offer: rtpengine plays into the call once the ACK's answer reached it.
    m.features_deferred = true;
    m.features_branch = branch;
    return;
  }
  const PlanTarget& target = call.machine.target(branch);
  if (!target.whisper.empty()) {
    auto file = whisperFile(media_.settings().whisper_dir, target.whisper);
    if (file.ok()) {
      m.whisper_file = file.value();
    } else {
      log_.warn("whisper_skipped",
                {{"call_id", call.id.call_id}, {"error", file.error().describe()}});
    }
  }
  if (!target.extension_digits.empty()) {
    auto schedule = scheduleExtension(target.extension_digits, media_.settings().dtmf_duration_ms,
                                      media_.settings().dtmf_gap_ms);
    if (!schedule.ok()) {
      log_.warn("extension_skipped",
                {{"call_id", call.id.call_id}, {"error", schedule.error().describe()}});
    } else if (!schedule->empty()) {
      m.digits = std::move(schedule.value());
      // The caller's audio becomes silence toward the answering side (its menu must hear only the
      // digits) but keeps flowing: rtpengine puts the events into that stream. The caller hears
      // the answering side meanwhile (its menu prompts).
      (void)media_.command("silence media", partyCommand(call.id.call_id, sc.caller_tag),
                           call.id.call_id);
      m.digits_base_ms = clock_.steadyMs();
      log_.info("extension_digits_scheduled", {{"call_id", call.id.call_id},
                                               {"digits", static_cast<int64_t>(m.digits.size())},
                                               {"last_at_ms", m.digits.back().at_ms}});
      armMediaFeature(call, m.digits.front().at_ms);
      return;
    }
  }
  if (!m.whisper_file.empty()) startWhisper(call);
}

void SipProxy::startWhisper(Call& call) {
  SipCall& sc = sipOf(call);
  CallMedia& m = sc.mediaState();
  // Held back until the whisper ends: the caller's audio toward the answering side only; the
  // caller hears the answering side as usual (the agent is listening to the whisper).
  (void)media_.command("block media", partyCommand(call.id.call_id, sc.caller_tag),
                       call.id.call_id);
  auto played = media_.command("play media",
                               playMediaCommand(call.id.call_id, m.answered_tag, m.whisper_file),
                               call.id.call_id);
  const media::BValue* duration = played.ok() ? played->find("duration") : nullptr;
  int64_t ms = duration && duration->isInt() ? duration->asInt() : 0;
  m.whisper_file.clear();
  if (!played.ok() || ms <= 0) {
    (void)media_.command("unblock media", partyCommand(call.id.call_id, sc.caller_tag),
                         call.id.call_id);
    return;
  }
  log_.info("whisper_playing", {{"call_id", call.id.call_id}, {"duration_ms", ms}});
  m.next_digit = m.digits.size() + 1;  // marks "whisper playing" for the timer
  armMediaFeature(call, ms);
}

void SipProxy::armMediaFeature(Call& call, int64_t ms) {
  sipOf(call).mediaState().feature_timer = armTimer(ms < 1 ? 1 : ms, featureTimerTrampoline, &call);
}

void SipProxy::onMediaFeatureTimer(Call* call) {
  SipCall& sc = sipOf(*call);
  if (!sc.hasMedia()) return;  // armed only for a call with media
  CallMedia& m = sc.mediaState();
  m.feature_timer.reset();
  if (m.state != State::Anchored || call->machine.phase() != CallStateMachine::Phase::Answered)
    return;
  const std::string& id = call->id.call_id;
  if (m.next_digit < m.digits.size()) {
    const ScheduledDigit& d = m.digits[m.next_digit];
    auto played = media_.command(
        "play DTMF",
        playDtmfCommand(id, sc.caller_tag, d.digit, media_.settings().dtmf_duration_ms), id);
    if (!played.ok() && m.next_digit == 0 &&
        played.error().message.find("SSRC") != std::string::npos &&
        m.first_digit_retries++ < kFirstDigitRetries) {
      // rtpengine puts events into the caller's stream, which must have started: shift the whole
      // schedule until it has.
      m.digits_base_ms += kFirstDigitRetryMs;
      armMediaFeature(*call, kFirstDigitRetryMs);
      return;
    }
    if (!played.ok()) m.next_digit = m.digits.size() - 1;  // give the rest up, bridge the caller
    ++m.next_digit;
    int64_t due = m.next_digit < m.digits.size()
                      ? m.digits_base_ms + m.digits[m.next_digit].at_ms
                      : clock_.steadyMs() + media_.settings().dtmf_duration_ms;  // last tone ends
    armMediaFeature(*call, due - clock_.steadyMs());
    return;
  }
  if (m.next_digit == m.digits.size() && !m.digits.empty()) {
    // Digits done: the caller is bridged (or held on for the whisper).
    m.next_digit = m.digits.size() + 2;
    if (!m.whisper_file.empty()) {
      (void)media_.command("block media", partyCommand(id, sc.caller_tag), id);
      (void)media_.command("unsilence media", partyCommand(id, sc.caller_tag), id);
      startWhisper(*call);
      return;
    }
    (void)media_.command("unsilence media", partyCommand(id, sc.caller_tag), id);
    log_.info("extension_digits_played", {{"call_id", id}});
    return;
  }
  if (m.next_digit == m.digits.size() + 1) {
    // The whisper ended: the caller is heard.
    m.next_digit = m.digits.size() + 2;
    (void)media_.command("unblock media", partyCommand(id, sc.caller_tag), id);
    log_.info("whisper_played", {{"call_id", id}});
  }
}

void SipProxy::releaseMedia(Call& call) {
  if (!sipOf(call).hasMedia()) return;  // never anchored: nothing on rtpengine
  CallMedia& m = sipOf(call).mediaState();
  m.feature_timer.reset();
  if (m.state != State::Anchored) return;
  m.state = State::Off;
  auto deleted = media_.command("delete", deleteCommand(call.id.call_id), call.id.call_id);
  log_.info("media_released", {{"call_id", call.id.call_id},
                               {"deleted", deleted.ok() ? "yes" : "no"},
                               {"recording", m.recording.empty() ? "off" : m.recording}});
}

void SipProxy::reanchorOffer(InDialogTxn& txn, const Call& call, bool from_caller, msg_t* fwd) {
  const SipCall& sc = sipOf(call);
  if (sc.media().state != State::Anchored) return;
  std::string sdp = sdpBody(sip_object(fwd));
  if (sdp.empty()) return;
  txn.call_id = call.id.call_id;
  txn.offerer_tag = from_caller ? sc.caller_tag : sc.callee_tag;
  txn.answerer_tag = from_caller ? sc.callee_tag : sc.caller_tag;
  auto reply = media_.command(
      "offer", reofferCommand(txn.call_id, txn.offerer_tag, txn.answerer_tag, sdp), txn.call_id);
  if (!reply.ok() || sdpOf(reply.value()).empty()) return;  // relayed as sent (logged)
  replaceSdpBody(fwd, sdpOf(reply.value()));
  txn.media = true;
}

void SipProxy::reanchorAnswer(InDialogTxn& txn, msg_t* out) {
  if (!txn.media || !out) return;
  sip_t* rsip = sip_object(out);
  if (!rsip->sip_status || rsip->sip_status->st_status < 200 || rsip->sip_status->st_status >= 300)
    return;
  std::string sdp = sdpBody(rsip);
  if (sdp.empty()) return;
  auto reply = media_.command(
      "answer", answerCommand(txn.call_id, txn.offerer_tag, txn.answerer_tag, sdp, false, false),
      txn.call_id);
  if (reply.ok() && !sdpOf(reply.value()).empty()) replaceSdpBody(out, sdpOf(reply.value()));
}

}  // namespace callmesh::ingress
