// Late-offer calls on the media plane (issue 19): an INVITE without SDP (RFC 3261 13.2.1) gets
// its offer in the answering side's 2xx and its answer in the caller's ACK. rtpengine is given
// them in that order: `offer` from the answering side (its To-tag) with the 2xx's SDP, whose
// rewrite goes to the caller; `answer` with the ACK's SDP, whose rewrite goes on to the answering
// side. Extension digits and the whisper wait for that answer. Early media (a 183 with SDP to an
// INVITE without one) is not anchored: the offer is only known for sure from the 2xx.
#include "services/ingress/media_commands.h"
#include "services/ingress/sip_body.h"
#include "services/ingress/sip_proxy.h"

namespace callmesh::ingress {

using State = CallMedia::State;

void SipProxy::anchorLateOffer(Call& call, size_t branch, msg_t* out) {
  SipCall& sc = sipOf(call);
  CallMedia& m = sc.mediaState();
  if (!out) return;
  sip_t* rsip = sip_object(out);
  std::string sdp = sdpBody(rsip);
  const std::string& id = call.id.call_id;
  if (sdp.empty()) {
    media_.callNotAnchored(id, "no_sdp", "INVITE and its 2xx both without SDP");
    m.state = State::Unanchored;
    return;
  }
  std::string to_tag = rsip->sip_to && rsip->sip_to->a_tag ? rsip->sip_to->a_tag : "";
  const PlanTarget& target = call.machine.target(branch);
  bool record = media_.settings().record && !target.prevent_recording;
  media::BDict offer = offerCommand(id, to_tag, sdp, false);
  if (record) offer["record call"] = "yes";
  auto reply = media_.command("offer", std::move(offer), id);
  if (!reply.ok() || sdpOf(reply.value()).empty()) {
    // The 2xx goes to the caller as the phone sent it: media end to end, no features.
    media_.callNotAnchored(id, reply.ok() ? "rejected" : MediaPlane::failureReason(reply.error()),
                           reply.ok() ? "offer reply without SDP" : reply.error().describe());
    m.state = State::Unanchored;
    return;
  }
  replaceSdpBody(out, sdpOf(reply.value()));
  m.state = State::Anchored;
  m.ack_answer_pending = true;
  m.answered_tag = to_tag;
  metrics_.media_anchored.Increment();
  log_.info("media_anchored", {{"call_id", id},
                               {"rtpengine", media_.settings().rtpengine},
                               {"late_offer", std::string("yes")}});
  noteRecording(call, reply.value(), target);
}

void SipProxy::anchorAckAnswer(Call& call, msg_t* ack) {
  SipCall& sc = sipOf(call);
  if (!sc.hasMedia()) return;  // no media plane on this call: the ACK goes as it came
  CallMedia& m = sc.mediaState();
  if (!m.ack_answer_pending && !m.ack_sdp.empty()) {
    // The caller re-sent its ACK (the 2xx was re-sent): the same rewrite, nothing asked again.
    replaceSdpBody(ack, m.ack_sdp);
    return;
  }
  if (!m.ack_answer_pending || m.state != State::Anchored) return;
  m.ack_answer_pending = false;
  const std::string& id = call.id.call_id;
  std::string sdp = sdpBody(sip_object(ack));
  if (sdp.empty()) {
    // An ACK without the answer is a broken late offer: rtpengine never learns where the caller
    // listens, so the answering side hears nothing. Counted; the call goes on.
    media_.callNotAnchored(id, "no_sdp", "ACK without the answer to a late offer");
    return;
  }
  auto reply = media_.command(
      "answer", answerCommand(id, m.answered_tag, sc.caller_tag, sdp, false, false), id);
  if (!reply.ok() || sdpOf(reply.value()).empty()) {
    // The answering side gets the caller's own SDP: one direction relayed, one direct.
    media_.callNotAnchored(id, reply.ok() ? "rejected" : MediaPlane::failureReason(reply.error()),
                           reply.ok() ? "answer reply without SDP" : reply.error().describe());
    return;
  }
  m.ack_sdp = sdpOf(reply.value());
  replaceSdpBody(ack, m.ack_sdp);
  if (m.features_deferred) {
    m.features_deferred = false;
    startMediaFeatures(call, m.features_branch);
  }
}

}  // namespace callmesh::ingress
