// Calls through a gateway set (issue 21): the branch goes to the first gateway of the set's
// order (gateways down left out); on 408, 500, 503, or no response at all within
// gateway_answer_timeout_ms, the same branch -- the caller's transaction untouched, the call's
// machine told nothing -- is sent to the next gateway. SipProxy's side, on the su_root thread.
#include "services/ingress/name_resolution_guard.h"
#include "services/ingress/sip_inspection.h"
#include "services/ingress/sip_proxy.h"

namespace callmesh::ingress {

namespace {
int branchTrampoline(void* branch, nta_outgoing_t* orq, const sip_t* sip) {
  auto* b = static_cast<SipBranch*>(branch);
  return b->proxy->onBranchResponse(b, orq, sip);
}
constexpr const char* kReasons[] = {"408", "500", "503", "no_answer"};
void answerTimerTrampoline(void*, su_timer_t*, void* branch) {
  auto* b = static_cast<SipBranch*>(branch);
  b->proxy->onAnswerTimeout(b);
}
}  // namespace

int SipProxy::launchBranch(Call& call, const PlanTarget& target, const std::string& uri,
                           SipBranch& branch, bool pass_100, const std::string& route,
                           ForwardFrom from) {
  SipCall& sc = sipOf(call);
  if (!sc.irq) return 487;  // the caller is gone (cancelled or answered elsewhere)
  int error_status = 0;
  HeaderSource source{sc.caller_identity_trusted, !target.caller_id_number.empty()};
  msg_t* fwd = prepareForward(hop_, sc.irq.get(), source, uri.c_str(), &error_status, from);
  if (!fwd) return error_status;
  branch.transport = transportOfUri(uri);
  branch.uri = uri;
  branch.route = route;
  if (call.id.kind == schema::CallKind::VOICE)
    insertRecordRoute(hop_, fwd, sc.caller_transport, branch.transport);
  addLegHeaders(fwd, call.id, call.path, *call.machine.plan(), target);
  // The caller's media anchored on rtpengine (media_legs.cpp): every branch, a failover's too,
  // carries the relay's SDP (a repeated offer for the same call gets the same ports).
  anchorOffer(call, fwd);
  // The route URL is the configured target itself: the next hop is never taken from the message.
  // Its host joins the resolver's allow-list once (the list is process-wide and locked). A TLS
  // gateway's route names its host but sends to the numeric maddr: the name is not allowed.
  if (allowed_target_hosts_.insert(hostOf(uri)).second) allowNameResolution({hostOf(uri)});
  const std::string& next_hop = route.empty() ? uri : route;
  branch.orq.reset(nta_outgoing_mcreate(agent_, branchTrampoline, &branch,
                                        URL_STRING_MAKE(next_hop.c_str()), fwd,
                                        TAG_IF(pass_100, NTATAG_PASS_100(1)), TAG_END()));
  if (!branch.orq) {
    msg_destroy(fwd);
    log_.warn("branch_send_failed", {{"call_id", call.id.call_id}, {"target", next_hop}});
    return 503;
  }
  if (branch.transport == "tls") watchTlsBranch(branch);
  return 0;
}

bool SipProxy::sendGatewayBranch(Call& call, size_t step, size_t target_index,
                                 const std::string& set) {
  SipCall& sc = sipOf(call);
  const PlanTarget& target = call.machine.plan()->steps[step].targets[target_index];
  auto branch = std::make_unique<SipBranch>();
  branch->proxy = this;
  branch->call = &call;
  branch->gateways = gateway_sets_.candidates(
      set, [this](uint64_t bound) { return bound ? gateway_draw_() % bound : 0; });
  if (branch->gateways.empty()) {
    log_.warn("gateway_set_down", {{"call_id", call.id.call_id}, {"set", set}});
    call.machine.branchNotStarted(503);
    return false;
  }
  int status = 503;
  // A gateway whose INVITE cannot even be sent (no transport to it) is skipped at once.
  for (; branch->gateway_at < branch->gateways.size(); ++branch->gateway_at) {
    const Gateway& gw = gateway_sets_.gateways()[branch->gateways[branch->gateway_at]];
    status =
        launchBranch(call, target, targetThroughGateway(target.uri, gw.host_port, gw.transport),
                     *branch, true, routeOf(gw));
    if (status == 0 || status != 503) break;
  }
  if (status != 0) {
    call.machine.branchNotStarted(status);
    return false;
  }
  branch->answer_timer.reset(
      su_timer_create(su_root_task(root_), config_.ingress.gateways.answer_timeout_ms));
  if (branch->answer_timer)
    su_timer_set(branch->answer_timer.get(), answerTimerTrampoline, branch.get());
  branch->index = call.machine.branchStarted(step, target_index);
  metrics_.branches_started.Increment();
  const Gateway& gw = gateway_sets_.gateways()[branch->gateways[branch->gateway_at]];
  log_.info("branch_started", {{"call_id", call.id.call_id},
                               {"target", target.uri},
                               {"gateway", gw.name},
                               {"step", static_cast<int64_t>(step)}});
  sc.branches.push_back(std::move(branch));
  return true;
}

bool SipProxy::failOver(SipBranch& branch, GatewayMetrics::Failover reason) {
  Call& call = *branch.call;
  const PlanTarget& target = call.machine.target(branch.index);
  size_t failed = branch.gateways[branch.gateway_at];
  bool count = true;  // each failed gateway once, not once per member skipped after it
  while (branch.gateway_at + 1 < branch.gateways.size()) {
    if (count) gateway_metrics_.failedOver(failed, reason);
    ++branch.gateway_at;
    const Gateway& gw = gateway_sets_.gateways()[branch.gateways[branch.gateway_at]];
    count = gw.active;
    if (!gw.active) continue;  // a DNS member whose address went away since the call began
    log_.warn("gateway_failover", {{"call_id", call.id.call_id},
                                   {"from", gateway_sets_.gateways()[failed].name},
                                   {"to", gw.name},
                                   {"reason", kReasons[static_cast<size_t>(reason)]}});
    int status =
        launchBranch(call, target, targetThroughGateway(target.uri, gw.host_port, gw.transport),
                     branch, true, routeOf(gw));
    if (status == 0) {
      branch.answer_timer.reset(
          su_timer_create(su_root_task(root_), config_.ingress.gateways.answer_timeout_ms));
      if (branch.answer_timer)
        su_timer_set(branch.answer_timer.get(), answerTimerTrampoline, &branch);
      return true;
    }
    if (status != 503) return false;
    failed = branch.gateways[branch.gateway_at];
  }
  return false;
}

void SipProxy::onAnswerTimeout(SipBranch* branch) {
  branch->answer_timer.reset();
  if (!branch->orq || branch->cancelled) return;
  if (branch->gateway_at + 1 >= branch->gateways.size()) return;  // the last: let it run
  // Silence: CANCEL (sent by NTA only if a provisional ever comes) and let go of the INVITE; its
  // transaction ends on its own. The branch carries on at the next gateway.
  nta_outgoing_cancel(branch->orq.get());
  branch->orq.reset();
  if (failOver(*branch, GatewayMetrics::Failover::NoAnswer)) return;
  // Nothing else would take it: the branch fails as the silent gateway's would.
  Call& call = *branch->call;
  calls_.branchFinal(call, branch->index, 408, "Request Timeout");
  calls_.reapIfDone(call);
}

// Whether a branch's response moves it on to the next gateway of its set; `reason` set if so.
bool failoverStatus(int status, GatewayMetrics::Failover& reason) {
  switch (status) {
    case 408:
      reason = GatewayMetrics::Failover::S408;
      return true;
    case 500:
      reason = GatewayMetrics::Failover::S500;
      return true;
    case 503:
      reason = GatewayMetrics::Failover::S503;
      return true;
    default:
      return false;
  }
}

}  // namespace callmesh::ingress
