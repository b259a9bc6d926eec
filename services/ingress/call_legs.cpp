// The SIP side of a call's actions: forking to the targets, relaying the branches' responses to
// the caller, CANCEL, rejecting, the step and time-limit timers (SipProxy's CallSip half).
#include <strings.h>

#include "services/ingress/name_resolution_guard.h"
#include "services/ingress/sip_inspection.h"
#include "services/ingress/sip_proxy.h"

namespace callmesh::ingress {

namespace {
void stepTimerTrampoline(void*, su_timer_t*, void* call) {
  auto* c = static_cast<Call*>(call);
  sipOf(*c).proxy->onStepTimeout(c);
}
void durationTimerTrampoline(void*, su_timer_t*, void* call) {
  auto* c = static_cast<Call*>(call);
  sipOf(*c).proxy->onMaxDuration(c);
}
}  // namespace

// The client transaction's latest response made ready to go back one hop: what the answering side
// may not send on removed (header_policy.h) and our Via popped. It is NTA's own message (a
// reference, handed on to whoever sends it or given back with msg_destroy), not a copy: the client
// transaction keeps that message until it is freed (Timer D, 32 s over UDP) and reads nothing of it
// after its callback, while a copy (a message object, the table of its allocations, every header
// structure: about 4 KB) stayed with the server transaction for T4 or Timer J besides (README,
// "Finished transactions"). Our Via is popped only while it is on top, so a response handed out
// twice loses no one else's.
msg_t* SipProxy::responseToRelay(nta_outgoing_t* orq) {
  msg_t* msg = orq ? nta_outgoing_getresponse(orq) : nullptr;
  if (!msg) return nullptr;
  sip_t* sip = sip_object(msg);
  const char* ours = nta_outgoing_branch(orq);
  if (ours && strncasecmp(ours, "branch=", 7) == 0) ours += 7;
  if (sip && sip->sip_via && sip->sip_via->v_branch && ours &&
      strcasecmp(sip->sip_via->v_branch, ours) == 0) {
    stripArrivedHeaders(msg, HeaderSource{identityTrusted(msg), false});
    sip_via_remove(msg, sip);
  }
  return msg;
}

void SipProxy::apply(Call& call, const CallAction& a) {
  using K = CallAction::Kind;
  SipCall& sc = sipOf(call);
  switch (a.kind) {
    case K::Fork:
      fork(call, a.step);
      return;
    case K::CancelBranch: {
      // Only INVITE branches are ever cancelled (the machine never asks for a MESSAGE).
      SipBranch& b = *sc.branches[a.branch];
      b.cancelled = true;
      b.answer_timer.reset();
      if (b.orq) nta_outgoing_cancel(b.orq.get());
      return;
    }
    case K::RelayProvisional: {
      // The branch's response is at hand: we are inside its callback.
      msg_t* out = responseToRelay(sc.branches[a.branch]->orq.get());
      anchorAnswer(call, a.branch, out, false);
      relayToCaller(sc, out, false);
      return;
    }
    case K::AnswerCaller: {
      rememberCallee(call, *sc.branches[a.branch]);
      msg_t* out = responseToRelay(sc.branches[a.branch]->orq.get());
      anchorAnswer(call, a.branch, out, true);
      // Before the 200 reaches the caller, so none of the caller's audio reaches the answering
      // side ahead of the digits or the whisper.
      startMediaFeatures(call, a.branch);
      relayToCaller(sc, out, true);
      return;
    }
    case K::CallEnded:
      releaseMedia(call);
      return;
    case K::RelayFinal: {
      relayToCaller(sc, responseToRelay(sc.branches[a.branch]->orq.get()), true);
      return;
    }
    case K::AckByeLate: {
      // A second 2xx: ACK and BYE it so the callee does not sit in a dead call (from a copy:
      // nta_msg_ackbye consumes the message it is given).
      nta_outgoing_t* orq = sc.branches[a.branch]->orq.get();
      msg_t* ref = orq ? nta_outgoing_getresponse(orq) : nullptr;
      msg_t* late = ref ? msg_copy(ref) : nullptr;
      if (ref) msg_destroy(ref);
      if (late) nta_msg_ackbye(agent_, late);
      return;
    }
    case K::RejectCaller:
      rejectCaller(sc, a.status, a.reason.c_str());
      return;
    case K::ByeBothSides:
      sendBye(call, /*to_caller=*/true, a.reason.c_str());
      sendBye(call, /*to_caller=*/false, a.reason.c_str());
      return;
    case K::ArmStepTimer:
      sc.step_timer = armTimer(a.ms, stepTimerTrampoline, &call);
      return;
    case K::DisarmStepTimer:
      sc.step_timer.reset();
      return;
    case K::ArmDurationTimer:
      sc.duration_timer = armTimer(a.ms, durationTimerTrampoline, &call);
      return;
    case K::DisarmDurationTimer:
      sc.duration_timer.reset();
      return;
    default:
      return;  // carried out by CallControl
  }
}

bool SipProxy::settled(const Call& call) const {
  for (const auto& b : sipOf(call).branches) {
    if (b->orq) return false;
  }
  return true;
}

SuTimer SipProxy::armTimer(int64_t ms, su_timer_f callback, Call* call) {
  SuTimer timer(su_timer_create(su_root_task(root_), static_cast<su_duration_t>(ms)));
  if (timer) su_timer_set(timer.get(), callback, call);
  return timer;
}

void SipProxy::fork(Call& call, size_t step) {
  const auto& targets = call.machine.plan()->steps[step].targets;
  for (size_t t = 0; t < targets.size(); ++t) sendBranch(call, step, t);
}

bool SipProxy::sendBranch(Call& call, size_t step, size_t target_index) {
  SipCall& sc = sipOf(call);
  const PlanTarget& target = call.machine.plan()->steps[step].targets[target_index];
  std::string set = gatewaySetOf(target.uri);
  if (!set.empty() && gateway_sets_.has(set))
    return sendGatewayBranch(call, step, target_index, set);
  auto branch = std::make_unique<SipBranch>();
  branch->proxy = this;
  branch->call = &call;
  // The plan never changes once decided and its branches start in order: the last target of
  // the last step is the INVITE's last use (a gateway set's branch is not: it may fail over).
  const auto& steps = call.machine.plan()->steps;
  bool last_use = step + 1 == steps.size() && target_index + 1 == steps[step].targets.size();
  int status = launchBranch(call, target, target.uri, *branch, false, "",
                            last_use ? ForwardFrom::Received : ForwardFrom::Copy);
  if (status != 0) {
    call.machine.branchNotStarted(status);
    return false;
  }
  branch->index = call.machine.branchStarted(step, target_index);
  metrics_.branches_started.Increment();
  log_.info(
      "branch_started",
      {{"call_id", call.id.call_id}, {"target", target.uri}, {"step", static_cast<int64_t>(step)}});
  sc.branches.push_back(std::move(branch));
  return true;
}

int SipProxy::onBranchResponse(SipBranch* branch, nta_outgoing_t* orq, const sip_t* sip) {
  Call& call = *branch->call;
  int status = nta_outgoing_status(orq);
  branch->tls_watch.reset();  // an answer came: the connection carried the INVITE
  if (!branch->gateways.empty()) {
    // Through a gateway set: any response shows the gateway alive (100 Trying is passed to us
    // for that only); 408, 500 and 503 move the branch to the next gateway.
    branch->answer_timer.reset();
    if (status == 100) return 0;
    GatewayMetrics::Failover reason;
    if (status >= 200 && !branch->cancelled && failoverStatus(status, reason)) {
      // The failed transaction is kept until the next gateway has the INVITE: when none takes
      // it, its response is the branch's answer as usual.
      OutgoingRequest failed = std::move(branch->orq);
      if (failOver(*branch, reason)) return 0;
      branch->orq = std::move(failed);
    }
  }
  if (status < 200) {
    calls_.branchProvisional(call, branch->index, status);
    return 0;
  }
  std::string reason = sip && sip->sip_status && sip->sip_status->st_phrase
                           ? std::string(sip->sip_status->st_phrase)
                           : std::string();
  calls_.branchFinal(call, branch->index, status, reason);
  branch->orq.reset();
  calls_.reapIfDone(call);
  return 0;
}

// Relays a branch's response to the caller (our Via removed); a final one closes the caller's
// server transaction (NTA keeps absorbing retransmissions). Takes ownership of `out`.
void SipProxy::relayToCaller(SipCall& sc, msg_t* out, bool final) {
  if (out && sc.irq) {
    nta_incoming_mreply(sc.irq.get(), out);
  } else if (out) {
    msg_destroy(out);
  }
  if (final) sc.irq.reset();
}

void SipProxy::rejectCaller(SipCall& sc, int status, const char* reason) {
  if (!sc.irq) return;
  if (status == 407) {
    // The router refused an agent's outbound call from a device that did not authenticate.
    challenge(sc.irq.get(), reason, false);
    sc.irq.reset();
    return;
  }
  nta_incoming_tag(sc.irq.get(), nullptr);
  // While draining a 503 says when to come back, as for new calls (the gateway tries another).
  nta_incoming_treply(sc.irq.get(), status, reason,
                      TAG_IF(draining_ && status == 503, SIPTAG_RETRY_AFTER_STR("5")), TAG_END());
  sc.irq.reset();
}

// The answered side of the dialog, for BYEs the proxy sends itself.
void SipProxy::rememberCallee(Call& call, const SipBranch& branch) {
  SipCall& sc = sipOf(call);
  sc.callee_hop = branch.uri;
  sc.callee_route = branch.route.empty() ? branch.uri : branch.route;
  msg_t* response = branch.orq ? nta_outgoing_getresponse(branch.orq.get()) : nullptr;
  if (!response) return;
  sip_t* rsip = sip_object(response);
  sc.callee_to = headerValue(reinterpret_cast<const sip_header_t*>(rsip->sip_to));
  sc.callee_tag = rsip->sip_to && rsip->sip_to->a_tag ? rsip->sip_to->a_tag : "";
  std::string answered_from, transport;
  if (sourceOf(response, answered_from, transport)) sc.callee_ip = hostOfTarget(answered_from);
  sc.callee_contact = rsip->sip_contact ? urlText(rsip->sip_contact->m_url) : branch.uri;
  // The media side names the call's recording on its answer (issue 20 call detail record).
  for (sip_unknown_t const* u = rsip->sip_unknown; u; u = u->un_next) {
    if (u->un_name && u->un_value && strcasecmp(u->un_name, "X-Recording-Id") == 0) {
      call.recording_id = headerSafe(u->un_value).substr(0, Call::kMaxRecordHint);
    }
  }
  msg_destroy(response);
}

void SipProxy::onStepTimeout(Call* call) {
  sipOf(*call).step_timer.reset();
  calls_.stepTimerFired(*call);
}

void SipProxy::onMaxDuration(Call* call) {
  sipOf(*call).duration_timer.reset();
  calls_.timeLimitReached(*call);
}

int SipProxy::onAckOrCancel(Call* call, nta_incoming_t*, const sip_t* sip) {
  if (sip && sip->sip_request && sip->sip_request->rq_method == sip_method_cancel) {
    // NTA already answered 200 to the CANCEL and 487 to the INVITE; stop every branch.
    sipOf(*call).irq.reset();
    calls_.callerCancelled(*call);
  }
  return 0;
}

}  // namespace callmesh::ingress
