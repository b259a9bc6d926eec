// Dialog relay: ACK for 2xx, in-dialog requests (BYE, re-INVITE, UPDATE, INFO, ...), BYEs the
// proxy sends itself, and stray 2xx retransmissions. Only the two known hops of a dialog are ever
// destinations: the caller's source address and the answered target.
#include "services/ingress/dialog_match.h"
#include "services/ingress/name_resolution_guard.h"
#include "services/ingress/sip_inspection.h"
#include "services/ingress/sip_proxy.h"

namespace callmesh::ingress {

namespace {

std::string text(const char* s) { return s ? std::string(s) : std::string(); }

int inDialogTrampoline(void* txn, nta_outgoing_t* orq, const sip_t* sip) {
  auto* t = static_cast<SipProxy::InDialogTxn*>(txn);
  return t->proxy->onInDialogResponse(t, orq, sip);
}
// BYEs we send ourselves: nobody waits for the answer; the transaction is freed at its final
// response (one always comes, if only NTA's own 408).
int byeTrampoline(void* self, nta_outgoing_t* orq, const sip_t*) {
  static_cast<SipProxy*>(self)->onByeResponse(orq);
  return 0;
}

}  // namespace

// The answered call whose dialog this in-dialog request (or ACK) belongs to: Call-ID, both tags
// and the hop it came from must match (dialog_match.h); null otherwise, counted.
Call* SipProxy::dialogOf(const sip_t* sip, msg_t* msg, bool& from_caller) {
  std::string call_id = sip->sip_call_id ? text(sip->sip_call_id->i_id) : "";
  Call* call = calls_.find(call_id);
  if (!call || call->machine.phase() != CallStateMachine::Phase::Answered) {
    metrics_.dropped_requests.Increment();
    return nullptr;
  }
  const SipCall& sc = sipOf(*call);
  DialogIds dialog{call_id,       sc.caller_tag,
                   sc.callee_tag, hostOfTarget(sc.caller_target),
                   sc.callee_ip,  hostOf(sc.callee_hop)};
  std::string source;
  std::string transport;
  InDialogRequest request{call_id, sip->sip_from ? text(sip->sip_from->a_tag) : "",
                          sip->sip_to ? text(sip->sip_to->a_tag) : "",
                          sourceOf(msg, source, transport) ? hostOfTarget(source) : ""};
  DialogSide side = sideOf(dialog, request);
  if (side == DialogSide::NotInDialog) {
    metrics_.blocked("not_in_dialog").Increment();
    log_.warn("not_in_dialog", {{"call_id", call_id}, {"source", request.source_ip}});
    return nullptr;
  }
  from_caller = side == DialogSide::FromCaller;
  return call;
}

void SipProxy::forwardAck(msg_t* msg, sip_t* sip) {
  // ACK for a 2xx is end-to-end: relay it statelessly to the other side of the dialog.
  bool from_caller = false;
  Call* call = dialogOf(sip, msg, from_caller);
  if (!call) {
    nta_msg_discard(agent_, msg);
    return;
  }
  const SipCall& sc = sipOf(*call);
  const std::string& next_hop = from_caller ? sc.callee_route : sc.caller_target;
  if (!stepOverUs(hop_, msg, sip)) {
    nta_msg_discard(agent_, msg);
    return;
  }
  stripArrivedHeaders(msg, HeaderSource{identityTrusted(msg), false});
  if (from_caller) anchorAckAnswer(*call, msg);  // a late offer's answer through rtpengine
  nta_msg_tsend(agent_, msg, URL_STRING_MAKE(next_hop.c_str()), TAG_END());
}

void SipProxy::handleInDialog(nta_incoming_t* irq, const sip_t* sip) {
  msg_t* request = nta_incoming_getrequest(irq);
  bool from_caller = false;
  Call* call = dialogOf(sip, request, from_caller);
  HeaderSource source{identityTrusted(request), false};
  msg_destroy(request);
  if (!call) {
    reply(irq, 481, "Call/Transaction Does Not Exist");
    return;
  }
  const SipCall& sc = sipOf(*call);
  const std::string& next_hop = from_caller ? sc.callee_route : sc.caller_target;
  int error_status = 0;
  // An in-dialog request has one branch: it goes on itself (sip_forwarding.h, ForwardFrom).
  msg_t* fwd = prepareForward(hop_, irq, source, nullptr, &error_status, ForwardFrom::Received);
  if (!fwd) {
    reply(irq, error_status, error_status == 483 ? "Too Many Hops" : "Server Internal Error");
    return;
  }
  auto txn = std::make_unique<InDialogTxn>();
  txn->proxy = this;
  if (sip->sip_request->rq_method == sip_method_invite ||
      sip->sip_request->rq_method == sip_method_update) {
    reanchorOffer(*txn, *call, from_caller, fwd);  // a re-INVITE's new offer through rtpengine
  }
  txn->orq.reset(nta_outgoing_mcreate(agent_, inDialogTrampoline, txn.get(),
                                      URL_STRING_MAKE(next_hop.c_str()), fwd, TAG_END()));
  if (!txn->orq) {
    msg_destroy(fwd);
    reply(irq, 503, "Service Unavailable (cannot reach next hop)");
    return;
  }
  txn->irq.reset(irq);
  InDialogTxn* key = txn.get();
  txns_.emplace(key, std::move(txn));
  if (sip->sip_request->rq_method == sip_method_bye) {
    // The dialog is over for us as soon as either side says BYE; the BYE itself is still relayed.
    calls_.bye(*call, from_caller);
  }
}

int SipProxy::onInDialogResponse(InDialogTxn* txn, nta_outgoing_t* orq, const sip_t*) {
  int status = nta_outgoing_status(orq);
  if (status == 100) return 0;
  msg_t* out = responseToRelay(orq);
  reanchorAnswer(*txn, out);
  if (out) nta_incoming_mreply(txn->irq.get(), out);
  if (status >= 200) txns_.erase(txn);  // frees both transactions
  return 0;
}

// A BYE the proxy originates, as if from the other side of the dialog: From/To swapped as that
// side would send them, the next CSeq of that side, sent to the hop we know (never a host
// from the message).
void SipProxy::sendBye(Call& call, bool to_caller, const char* reason) {
  const PlanTarget* answered = call.machine.answeredTarget();
  if (!answered) return;
  SipCall& sc = sipOf(call);
  const std::string& request_uri = to_caller ? sc.caller_contact : sc.callee_contact;
  const std::string& next_hop = to_caller ? sc.caller_target : sc.callee_route;
  std::string from = to_caller ? sc.callee_to : sc.caller_from;
  std::string to = to_caller ? sc.caller_from : sc.callee_to;
  uint32_t cseq = to_caller ? ++sc.callee_cseq : ++sc.caller_cseq;
  if (request_uri.empty() || from.empty() || to.empty()) return;
  msg_t* msg = nta_msg_create(agent_, 0);
  sip_t* bsip = sip_object(msg);
  std::string rq = "BYE " + request_uri + " SIP/2.0";
  std::string cs = std::to_string(cseq) + " BYE";
  std::string why = std::string("SIP;cause=200;text=\"") + reason + "\"";
  if (sip_add_tl(msg, bsip, SIPTAG_REQUEST_STR(rq.c_str()), SIPTAG_FROM_STR(from.c_str()),
                 SIPTAG_TO_STR(to.c_str()), SIPTAG_CALL_ID_STR(call.id.call_id.c_str()),
                 SIPTAG_CSEQ_STR(cs.c_str()), SIPTAG_MAX_FORWARDS_STR("70"),
                 SIPTAG_REASON_STR(why.c_str()), TAG_END()) < 0) {
    msg_destroy(msg);
    return;
  }
  OutgoingRequest orq(nta_outgoing_mcreate(agent_, byeTrampoline, this,
                                           URL_STRING_MAKE(next_hop.c_str()), msg, TAG_END()));
  if (!orq) {
    msg_destroy(msg);
    return;
  }
  nta_outgoing_t* key = orq.get();
  byes_.emplace(key, std::move(orq));
}

void SipProxy::onByeResponse(nta_outgoing_t* orq) {
  if (nta_outgoing_status(orq) >= 200) byes_.erase(orq);
}

// A 2xx retransmission after its client transaction ended: relayed if it belongs to a dialog we
// answered, so a lost 200 still reaches the caller.
bool SipProxy::relayStrayAnswer(msg_t* msg, sip_t* sip) {
  if (!(sip && sip->sip_status && sip->sip_status->st_status >= 200 &&
        sip->sip_status->st_status < 300 && sip->sip_cseq &&
        sip->sip_cseq->cs_method == sip_method_invite && sip->sip_call_id)) {
    return false;
  }
  Call* call = calls_.find(text(sip->sip_call_id->i_id));
  if (!call || call->machine.phase() != CallStateMachine::Phase::Answered || !sip->sip_via ||
      !sip->sip_via->v_next) {
    return false;
  }
  sip_via_remove(msg, sip);
  stripArrivedHeaders(msg, HeaderSource{identityTrusted(msg), false});
  nta_msg_tsend(agent_, msg, URL_STRING_MAKE(sipOf(*call).caller_target.c_str()), TAG_END());
  return true;
}

// RFC 3261 checks sofia-sip leaves to us, answered statelessly before any transaction exists
// (an ACK is dropped instead): a header line with no colon (sofia files it as an error header
// with no name) gets 400; a request carrying our own Via with the branch of a transaction we
// still have is one we sent that came back to us, a loop (16.3 item 4): 482.
bool SipProxy::refuseMalformedOrLooped(msg_t* msg, sip_t* sip) {
  int status = 0;
  const char* phrase = nullptr;
  for (msg_error_t const* e = sip->sip_error; e && !status; e = e->er_next) {
    if (!e->er_name) status = 400, phrase = "Bad Request (header line without a colon)";
  }
  for (sip_via_t const* v = sip->sip_via; v && !status; v = v->v_next) {
    if (isOurVia(hop_, v) && nta_outgoing_find(agent_, msg, sip, v)) {
      status = 482, phrase = "Loop Detected (our own Via)";
      metrics_.blocked("loop").Increment();
    }
  }
  if (!status) return false;
  if (sip->sip_request->rq_method == sip_method_ack) {
    nta_msg_discard(agent_, msg);
  } else {
    nta_msg_treply(agent_, msg, status, phrase, TAG_END());
  }
  return true;
}

int SipProxy::onStray(msg_t* msg, sip_t* sip) {
  if (sip && sip->sip_request) {
    // A request that matched no transaction: guard it, relay a 2xx ACK statelessly, or make a
    // server transaction for it and handle it.
    if (!admitSource(msg, sip)) return 0;
    if (refuseMalformedOrLooped(msg, sip)) return 0;
    if (sip->sip_request->rq_method == sip_method_ack) {
      metrics_.requests("ACK").Increment();
      forwardAck(msg, sip);
      return 0;
    }
    // On failure nta_incoming_create has destroyed `msg` itself (nta.c): nothing is left to free.
    nta_incoming_t* irq = nta_incoming_create(agent_, nullptr, msg, sip, TAG_END());
    if (!irq) return 0;
    return onRequest(irq, sip);
  }
  // A response that matched no client transaction passes the source guard like a request (issue
  // 16, item 4); anything else is dropped (e.g. a response naming a broadcast address in its Via,
  // RFC 4475 3.3.10).
  if (!admitSource(msg, sip)) return 0;
  if (relayStrayAnswer(msg, sip)) return 0;
  metrics_.dropped_requests.Increment();
  nta_msg_discard(agent_, msg);
  return 0;
}

}  // namespace callmesh::ingress
