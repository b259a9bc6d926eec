#include "services/ingress/call_control.h"

#include <utility>

#include "shared/phone/e164.h"

namespace callmesh::ingress {

CallControl::CallControl(const config::ClusterConfig& config, CallLinks links,
                         SlotReleases& releases, IngressMetrics& metrics, Logger& log,
                         const Clock& clock, CallSip& sip)
    : config_(config),
      links_(links),
      releases_(releases),
      metrics_(metrics),
      log_(log),
      clock_(clock),
      sip_(sip),
      last_renew_ms_(clock.steadyMs()) {}

Call* CallControl::find(const std::string& call_id) {
  auto it = calls_.find(call_id);
  return it == calls_.end() ? nullptr : it->second.get();
}

Call* CallControl::offer(std::unique_ptr<Call> call, std::vector<std::string> path,
                         const std::string& source) {
  bool voice = call->id.kind == schema::CallKind::VOICE;
  // The cap counts per E.164 number, however the caller wrote it ("18889990000",
  // "(888) 999-0000"); texts that are no number share one bounded key. The router still reads
  // the dialled text as sent (it answers 404 to what is no number of ours).
  call->slot_number = phone::slotNumberOf(call->id.dialed);
  call->path = std::move(path);
  Call* c = call.get();
  calls_.emplace(c->id.call_id, std::move(call));
  if (voice) metrics_.calls_offered.Increment();
  metrics_.active_calls.Increment();
  log_.info(voice ? "call_offered" : "text_offered", {{"call_id", c->id.call_id},
                                                      {"dialed", c->id.dialed},
                                                      {"caller", c->id.caller},
                                                      {"source", source}});
  return c;
}

void CallControl::branchProvisional(Call& call, size_t branch, int status) {
  size_t start = actions_.size();
  call.machine.provisional(branch, status, actions_);
  run(call, start);
}

void CallControl::branchFinal(Call& call, size_t branch, int status, const std::string& reason) {
  size_t start = actions_.size();
  call.machine.finalResponse(clock_.steadyMs(), branch, status, reason, actions_);
  run(call, start);
}

void CallControl::stepTimerFired(Call& call) {
  if (call.machine.phase() == CallStateMachine::Phase::Ringing) {
    log_.info("ring_timeout", {{"call_id", call.id.call_id},
                               {"step", static_cast<int64_t>(call.machine.currentStep())}});
  }
  size_t start = actions_.size();
  call.machine.stepTimerFired(clock_.steadyMs(), actions_);
  run(call, start);
}

void CallControl::timeLimitReached(Call& call) {
  if (call.machine.phase() == CallStateMachine::Phase::Answered) {
    log_.info("call_max_duration", {{"call_id", call.id.call_id}});
  }
  size_t start = actions_.size();
  call.machine.timeLimitReached(clock_.steadyMs(), actions_);
  run(call, start);
}

void CallControl::callerCancelled(Call& call) {
  log_.info("call_cancelled", {{"call_id", call.id.call_id}});
  size_t start = actions_.size();
  call.machine.callerCancelled(clock_.steadyMs(), actions_);
  run(call, start);
}

void CallControl::bye(Call& call, bool from_caller) {
  size_t start = actions_.size();
  call.machine.bye(clock_.steadyMs(), from_caller, actions_);
  run(call, start);
}

void CallControl::shutDownAll() {
  std::vector<Call*> up;
  for (auto& [id, call] : calls_) up.push_back(call.get());
  for (Call* call : up) {
    size_t start = actions_.size();
    call->machine.drainOver(clock_.steadyMs(), actions_);
    run(*call, start);
  }
}

void CallControl::reapIfDone(Call& call) {
  if (call.machine.phase() != CallStateMachine::Phase::Ended) return;
  // A branch may still wait for its final response (e.g. the 487 to our CANCEL).
  if (!sip_.settled(call)) return;
  auto it = calls_.find(call.id.call_id);
  if (it == calls_.end() || it->second.get() != &call) return;
  graveyard_.push_back(std::move(it->second));
  calls_.erase(it);
}

void CallControl::onTick() {
  // Acquires waiting for an answer that is slow to come wait no longer than a tick.
  if (!waiting_acquires_.empty()) sendWaitingAcquires();
  turnAwayExpiredWaits();
  graveyard_.clear();
  readRouterNotices();
  int64_t now = clock_.steadyMs();
  if (now - last_renew_ms_ >= config_.ingress.lease_renew_ms) {
    last_renew_ms_ = now;
    renewSlots();
  }
}

void CallControl::renewSlots() {
  std::vector<std::pair<std::string_view, std::string_view>> held;
  for (auto& [id, call] : calls_) {
    if (call->machine.slotHeld()) held.emplace_back(call->slot_number, call->id.call_id);
  }
  releases_.renew(held);
}

// ---------------------------------------------------------------------------------------------
// Carrying out the machine's actions

void CallControl::run(Call& call, size_t start) {
  for (size_t i = start; i < actions_.size(); ++i) {
    CallAction action = actions_[i];  // a copy: forking appends to actions_
    carryOut(call, action);
  }
  actions_.resize(start);
}

void CallControl::carryOut(Call& call, const CallAction& a) {
  using K = CallAction::Kind;
  const CallStateMachine& m = call.machine;
  switch (a.kind) {
    case K::Fork: {
      sip_.apply(call, a);
      call.machine.forkSent(clock_.steadyMs(), actions_);
      return;
    }
    case K::RejectCaller:
      if (a.why == schema::EndReason::REJECTED || a.why == schema::EndReason::INTERNAL_ERROR) {
        metrics_.rejected(a.status).Increment();
      }
      log_.info("call_failed",
                {{"call_id", call.id.call_id}, {"status", a.status}, {"reason", a.reason}});
      sip_.apply(call, a);
      return;
    case K::AnswerCaller:
      sip_.apply(call, a);
      metrics_.calls_answered.Increment();
      metrics_.setup_seconds.Observe(static_cast<double>(m.answeredMs() - m.offeredMs()) / 1000.0);
      return;
    case K::AckByeLate:
      sip_.apply(call, a);
      log_.info("late_answer_hung_up",
                {{"call_id", call.id.call_id}, {"target", m.target(a.branch).uri}});
      return;
    case K::ReleaseSlot:
      metrics_.held_slots.Decrement();
      releases_.queue(call.slot_number, call.id.call_id);
      wakeCallWaitingFor(call.slot_number);
      // The grant left the number within a few slots of its cap: a caller may be waiting for
      // this slot, so it goes back at once instead of in the next tick's batch.
      if (a.near_cap) releases_.flush();
      return;
    case K::CancelRouterRequest:
      if (call.router_request) links_.router.cancel(call.router_request);
      return;
    case K::PublishOffered:
      metrics_.admission_seconds.Observe(static_cast<double>(clock_.steadyMs() - m.offeredMs()) /
                                         1000.0);
      links_.events.offered(call.id, m.plan() ? m.plan()->rule : std::string());
      return;
    case K::PublishLegRinging:
      links_.events.legRinging(call.id, m.target(a.branch).leg);
      return;
    case K::PublishLegFailed:
      links_.events.legFailed(call.id, m.target(a.branch).leg, a.status, a.reason);
      log_.info(
          "branch_failed",
          {{"call_id", call.id.call_id}, {"target", m.target(a.branch).uri}, {"status", a.status}});
      return;
    case K::PublishLegTimedOut:
      links_.events.legFailed(call.id, m.target(a.branch).leg, 408, "ring timeout");
      return;
    case K::PublishAnswered:
      links_.events.answered(call.id, m.target(a.branch).leg);
      log_.info("call_answered", {{"call_id", call.id.call_id},
                                  {"target", m.target(a.branch).uri},
                                  {"agent_id", m.target(a.branch).leg.agent_id}});
      return;
    case K::PublishEnded: {
      CallEndInfo end = m.endInfo(call.id);
      end.caller_zip = call.caller_zip;
      end.recording_id = call.recording_id;
      end.recordings = call.recordings;
      end.recording_segments = call.recording_segments;
      links_.events.ended(call.id, end);
      return;
    }
    case K::CallEnded:
      metrics_.ended(endReasonName(a.why)).Increment();
      metrics_.active_calls.Decrement();
      log_.info("call_ended", {{"call_id", call.id.call_id},
                               {"reason", endReasonName(a.why)},
                               {"status", a.status},
                               {"duration_ms", clock_.steadyMs() - m.offeredMs()}});
      sip_.apply(call, a);  // media released on rtpengine, whatever path ended the call
      reapIfDone(call);
      return;
    case K::CancelBranch:
    case K::RelayProvisional:
    case K::RelayFinal:
    case K::ByeBothSides:
    case K::ArmStepTimer:
    case K::DisarmStepTimer:
    case K::ArmDurationTimer:
    case K::DisarmDurationTimer:
      sip_.apply(call, a);
      return;
  }
}

}  // namespace callmesh::ingress
