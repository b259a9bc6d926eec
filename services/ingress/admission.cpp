// Admission, the part of CallControl that asks the limiter and the router about a new call.
#include <algorithm>

#include <capnp/message.h>

#include "schemas/call.capnp.h"
#include "schemas/limiter.capnp.h"
#include "services/ingress/call_control.h"
#include "shared/codec/capnp_codec.h"

namespace callmesh::ingress {

void CallControl::askLimiterAndRouter(Call& call, const RouteHints& hints) {
  call.caller_zip = hints.caller_zip.substr(0, Call::kMaxRecordHint);
  if (call.id.kind == schema::CallKind::VOICE) {
    queueAcquire(call.id.call_id, call.slot_number, false);
  }
  // A call that came back through us (non-empty path) is always loop-checked by the router.
  if (call.path.empty()) {
    if (auto kept = route_cache_.find(call.id.kind, call.id.dialed, clock_.steadyMs())) {
      metrics_.routeDecision(true, kept->rule).Increment();
      size_t start = actions_.size();
      call.machine.routed(clock_.steadyMs(), std::move(kept), actions_);
      run(call, start);
      return;
    }
  }
  codec::FrameBuilder mb;
  auto q = mb.initRoot<schema::RouteRequest>();
  q.setCallId(call.id.call_id);
  q.setDialed(call.id.dialed);
  q.setCaller(call.id.caller);
  if (!hints.caller_zip.empty()) q.setCallerZip(hints.caller_zip);
  if (!hints.project.empty()) q.setProject(hints.project);
  if (!hints.last_outcome.empty()) q.setLastOutcome(hints.last_outcome);
  if (!hints.authenticated_agent.empty()) q.setAuthenticatedAgent(hints.authenticated_agent);
  q.setAgentAuthOff(!config_.ingress.agent_auth.required);
  q.setReceivedAtMs(clock_.nowMs());
  q.setKind(call.id.kind);
  auto path = q.initPath(static_cast<unsigned>(call.path.size()));
  for (size_t i = 0; i < call.path.size(); ++i) path.set(static_cast<unsigned>(i), call.path[i]);
  std::string call_id = call.id.call_id;
  call.router_request = links_.router.request(
      codec::encodeToBytes(mb),
      [this, call_id](Result<zmq::message_t> r) { onRouterReply(call_id, std::move(r)); });
}

void CallControl::queueAcquire(const std::string& call_id, const std::string& number, bool first) {
  if (acquireWaits() && waiting_acquires_.size() < kMaxWaitingAcquires) {
    auto at = first ? waiting_acquires_.begin() : waiting_acquires_.end();
    waiting_acquires_.insert(at, {call_id, number});
    return;
  }
  sendWaitingAcquires();  // a full burst goes first: callers are asked for in arrival order
  sendAcquire(call_id, number);
}

void CallControl::sendAcquire(const std::string& call_id, const std::string& number) {
  codec::FrameBuilder mb;
  auto req = mb.initRoot<schema::LimiterRequest>();
  auto a = req.initAcquire();
  a.setNumber(number);
  a.setCallId(call_id);
  // Calls that ended since the last release went out give their slots back ahead of this
  // acquire, in the same request: the count this caller meets holds no call that has ended.
  SlotReleases::Batch carried = releases_.takePending();
  if (carried) {
    auto list = req.initReleasesFirst(static_cast<unsigned>(carried->size()));
    for (size_t i = 0; i < carried->size(); ++i) {
      list[static_cast<unsigned>(i)].setNumber((*carried)[i].number);
      list[static_cast<unsigned>(i)].setCallId((*carried)[i].call_id);
    }
  }
  AcquireSent sent{clock_.steadyMs(), cap_waits_.releaseCount()};
  last_acquire_sent_ms_ = sent.at_ms;
  ++acquires_in_flight_;
  links_.limiter.request(codec::encodeToBytes(mb),
                         [this, call_id, number, sent, carried](Result<zmq::message_t> r) {
                           --acquires_in_flight_;
                           onLimiterReply(call_id, number, sent, carried, std::move(r));
                           if (!acquireWaits()) sendWaitingAcquires();
                         });
}

bool CallControl::acquireWaits() const {
  if (acquires_in_flight_ > 0) return true;
  int gather_ms = config_.ingress.acquire_gather_ms;
  return gather_ms > 0 && clock_.steadyMs() - last_acquire_sent_ms_ < gather_ms;
}

void CallControl::sendWaitingAcquires() {
  std::vector<WaitingAcquire> waiting;
  waiting.swap(waiting_acquires_);
  for (const auto& w : waiting) {
    // A caller that went away while its acquire waited needs no slot.
    Call* call = find(w.call_id);
    if (!call || call->machine.phase() == CallStateMachine::Phase::Ended) continue;
    sendAcquire(w.call_id, w.number);
  }
}

void CallControl::onLimiterReply(const std::string& call_id, const std::string& number,
                                 AcquireSent sent, const SlotReleases::Batch& carried,
                                 Result<zmq::message_t> reply_frame) {
  Call* call = find(call_id);
  if (call) {
    metrics_.peerSeconds("limiter").Observe(
        static_cast<double>(clock_.steadyMs() - call->machine.offeredMs()) / 1000.0);
  }
  bool granted = false;
  bool failed = true;
  bool near_cap = false;
  std::string why;
  if (reply_frame.ok()) {
    auto decoded = codec::decode<schema::LimiterReply>(reply_frame->data(), reply_frame->size(),
                                                       "LimiterReply");
    if (decoded.ok() && decoded.value()->root().isAcquired()) {
      failed = false;
      auto grant = decoded.value()->root().getAcquired();
      granted = grant.getGranted();
      // Within a fifth of the cap (at least 5 slots): the number is busy enough that a slot
      // freed 10 ms late could turn a caller away.
      uint32_t margin = std::max<uint32_t>(5, grant.getCap() / 5);
      near_cap = grant.getInUse() + margin >= grant.getCap();
    } else if (decoded.ok() && decoded.value()->root().isFailed()) {
      why = decoded.value()->root().getFailed();
    } else {
      why = decoded.ok() ? "unexpected limiter reply" : decoded.error().describe();
    }
  } else {
    why = reply_frame.error().describe();
  }
  // The releases carried by the acquire were applied iff it was decided.
  if (failed && carried) releases_.notConfirmed(carried, why);
  // An answer that took longer than one attempt means the acquire was sent again: copies of it
  // may still be queued at the limiter and take a slot after this answer. A release queued
  // behind them on the same socket frees whatever they take; release is idempotent and frees
  // only this call's slot.
  bool retried = clock_.steadyMs() - sent.at_ms >= config_.ingress.request_timeout_ms;
  if (!call || call->machine.phase() == CallStateMachine::Phase::Ended) {
    // The caller went away while we asked: give back the slot we were just granted.
    if (retried || failed || granted) releases_.queue(number, call_id);
    return;
  }
  size_t start = actions_.size();
  if (failed) {
    // No answer is not "no slot": the limiter may be stalled with our acquire queued and grant
    // it later. A release queued behind it on the same socket frees it.
    releases_.queue(number, call_id);
    metrics_.peerErrors("limiter").Increment();
    log_.error("limiter_unavailable", {{"call_id", call_id}, {"error", why}});
    call->machine.refused(clock_.steadyMs(), 503, "Service Unavailable (call limiter unreachable)",
                          schema::EndReason::INTERNAL_ERROR, actions_);
  } else if (!granted) {
    if (retried) releases_.queue(number, call_id);
    overCap(*call, sent);
    return;
  } else {
    if (call->waited_at_cap) metrics_.cap_waits_admitted.Increment();
    metrics_.held_slots.Increment();
    call->machine.slotGranted(clock_.steadyMs(), near_cap, actions_);
  }
  run(*call, start);
}

void CallControl::onRouterReply(const std::string& call_id, Result<zmq::message_t> reply_frame) {
  Call* call = find(call_id);
  if (!call || call->machine.phase() == CallStateMachine::Phase::Ended) return;
  metrics_.peerSeconds("router").Observe(
      static_cast<double>(clock_.steadyMs() - call->machine.offeredMs()) / 1000.0);
  size_t start = actions_.size();
  if (!reply_frame.ok()) {
    metrics_.peerErrors("router").Increment();
    log_.error("router_unavailable",
               {{"call_id", call_id}, {"error", reply_frame.error().describe()}});
    call->machine.refused(clock_.steadyMs(), 503, "Service Unavailable (router unreachable)",
                          schema::EndReason::INTERNAL_ERROR, actions_);
    run(*call, start);
    return;
  }
  auto decoded = decodeRoutePlan(reply_frame->data(), reply_frame->size());
  if (!decoded.ok()) {
    metrics_.peerErrors("router").Increment();
    log_.error("router_reply_invalid",
               {{"call_id", call_id}, {"error", decoded.error().describe()}});
    call->machine.refused(clock_.steadyMs(), 500, "Server Internal Error (bad routing decision)",
                          schema::EndReason::INTERNAL_ERROR, actions_);
    run(*call, start);
    return;
  }
  auto plan = std::make_shared<const RoutePlan>(std::move(decoded.value()));
  metrics_.routeDecision(false, plan->rule).Increment();
  if (call->path.empty()) {
    route_cache_.offer(call->id.kind, call->id.dialed, plan, clock_.steadyMs());
  }
  call->machine.routed(clock_.steadyMs(), std::move(plan), actions_);
  run(*call, start);
}

void CallControl::readRouterNotices() {
  if (!links_.router_notices) return;
  auto notice = links_.router_notices->latest();
  if (!notice) return;
  auto decoded =
      codec::decode<schema::RoutingNotice>(notice->data(), notice->size(), "RoutingNotice");
  if (!decoded.ok()) {
    log_.warn("router_notice_invalid", {{"error", decoded.error().describe()}});
    return;
  }
  route_cache_.heard(decoded.value()->root().getConfigEpoch(), clock_.steadyMs());
}

}  // namespace callmesh::ingress
