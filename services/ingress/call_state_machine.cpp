#include "services/ingress/call_state_machine.h"

#include <utility>

#include "shared/codec/end_reason_names.h"

namespace callmesh::ingress {

const char* endReasonName(schema::EndReason r) { return codec::endReasonName(r, "unknown"); }

namespace {
CallAction act(CallAction::Kind kind) {
  CallAction a;
  a.kind = kind;
  return a;
}
CallAction onBranch(CallAction::Kind kind, size_t branch) {
  CallAction a = act(kind);
  a.branch = branch;
  return a;
}
}  // namespace

CallStateMachine::CallStateMachine(schema::CallKind kind, int64_t offered_ms,
                                   int default_max_duration_s)
    : kind_(kind), offered_ms_(offered_ms), default_max_duration_s_(default_max_duration_s) {}

const PlanTarget& CallStateMachine::target(size_t branch) const {
  const BranchState& b = branches_[branch];
  return plan_->steps[b.step].targets[b.target];
}

const PlanTarget* CallStateMachine::answeredTarget() const {
  return answered_ == kNone ? nullptr : &target(answered_);
}

// ---------------------------------------------------------------------------------------------
// Admission

void CallStateMachine::slotGranted(int64_t, bool near_cap, CallActions& out) {
  if (phase_ == Phase::Ended) return;  // the adapter gives such a slot back itself
  slot_held_ = true;
  slot_near_cap_ = near_cap;
  maybeStartRinging(out);
}

void CallStateMachine::refused(int64_t now_ms, int status, std::string reason,
                               schema::EndReason why, CallActions& out) {
  fail(now_ms, status, std::move(reason), why, out);
}

void CallStateMachine::routed(int64_t now_ms, std::shared_ptr<const RoutePlan> plan,
                              CallActions& out) {
  if (phase_ == Phase::Ended) return;
  plan_ = std::move(plan);
  if (plan_->reject) {
    fail(now_ms, plan_->reject_status, plan_->reject_reason, schema::EndReason::REJECTED, out);
    return;
  }
  if (plan_->steps.empty()) {
    fail(now_ms, 480, "Temporarily Unavailable (no targets)", schema::EndReason::FAILED, out);
    return;
  }
  maybeStartRinging(out);
}

void CallStateMachine::maybeStartRinging(CallActions& out) {
  bool admitted = slot_held_ || kind_ == schema::CallKind::TEXT;
  if (!admitted || !plan_ || phase_ != Phase::Admitting) return;
  phase_ = Phase::Ringing;
  out.push_back(act(CallAction::Kind::PublishOffered));
  offered_published_ = true;
  startStep(0, out);
}

// ---------------------------------------------------------------------------------------------
// Forking

void CallStateMachine::startStep(size_t step, CallActions& out) {
  current_step_ = step;
  sent_in_step_ = 0;
  disarmStepTimer(out);
  CallAction fork = act(CallAction::Kind::Fork);
  fork.step = step;
  out.push_back(std::move(fork));
}

size_t CallStateMachine::branchStarted(size_t step, size_t target) {
  ++sent_in_step_;
  branches_.push_back(BranchState{step, target});
  return branches_.size() - 1;
}

void CallStateMachine::branchNotStarted(int status) { best_.add(status); }

void CallStateMachine::forkSent(int64_t now_ms, CallActions& out) {
  if (sent_in_step_ == 0) {
    // Nothing could be sent in this step: go on at once.
    stepFinishedIfDone(now_ms, out);
    return;
  }
  if (kind_ == schema::CallKind::TEXT) return;  // NTA's timer F bounds a MESSAGE
  // The ring timer starts when the INVITEs go out; provisional responses never disarm it.
  CallAction arm = act(CallAction::Kind::ArmStepTimer);
  arm.step = current_step_;
  arm.ms = plan_->steps[current_step_].timeout_ms;
  out.push_back(std::move(arm));
  step_timer_armed_ = true;
}

void CallStateMachine::provisional(size_t branch, int status, CallActions& out) {
  if (status <= 100 || phase_ != Phase::Ringing) return;
  // 180/183: the caller hears ringing (or early media) until someone answers (seed 003).
  out.push_back(onBranch(CallAction::Kind::RelayProvisional, branch));
  BranchState& b = branches_[branch];
  if (!b.provisional) {
    b.provisional = true;
    out.push_back(onBranch(CallAction::Kind::PublishLegRinging, branch));
  }
}

void CallStateMachine::finalResponse(int64_t now_ms, size_t branch, int status,
                                     const std::string& reason, CallActions& out) {
  BranchState& b = branches_[branch];
  b.final = true;
  b.final_status = status;
  if (status < 300 && kind_ == schema::CallKind::TEXT) {
    if (phase_ == Phase::Ended) return;  // delivered by another target already
    out.push_back(onBranch(CallAction::Kind::RelayFinal, branch));
    answered_ = branch;
    end(now_ms, schema::EndReason::DELIVERED, status, out);
  } else if (status < 300) {
    if (phase_ == Phase::Ringing) {
      answer(now_ms, branch, out);
    } else {
      // A second 2xx after another branch won (or after the caller gave up): ACK and BYE it so
      // the callee does not sit in a dead call (RFC 3261 16.7 allows only one winner upstream).
      out.push_back(onBranch(CallAction::Kind::AckByeLate, branch));
    }
  } else {
    bool ours = b.cancelled_by_us && status == 487;
    if (!ours) {
      best_.add(status);
      CallAction failed = onBranch(CallAction::Kind::PublishLegFailed, branch);
      failed.status = status;
      failed.reason = reason;
      out.push_back(std::move(failed));
    }
    // A 6xx is a global failure (RFC 3261 16.7 step 5): nobody else may answer, so every branch
    // still pending is cancelled now, whatever its step, and the fork ends with the best response.
    // Not from a branch we had already cancelled: a phone that declines our CANCEL with a 6xx
    // instead of 487 must not end the step that rings after it.
    if (phase_ == Phase::Ringing && status >= 600 && !b.cancelled_by_us) {
      cancelBranches(branch, out);
      stepFinishedIfDone(now_ms, out);
      return;
    }
    if (phase_ == Phase::Ringing && b.step == current_step_) stepFinishedIfDone(now_ms, out);
  }
}

void CallStateMachine::stepTimerFired(int64_t now_ms, CallActions& out) {
  step_timer_armed_ = false;  // a fired timer is spent; the adapter frees it
  if (phase_ != Phase::Ringing) return;
  for (size_t i = 0; i < branches_.size(); ++i) {
    BranchState& b = branches_[i];
    if (b.step != current_step_ || b.final || b.cancelled_by_us) continue;
    b.cancelled_by_us = true;
    b.timed_out = true;
    best_.addNoAnswer();
    out.push_back(onBranch(CallAction::Kind::PublishLegTimedOut, i));
    if (kind_ == schema::CallKind::VOICE) {
      out.push_back(onBranch(CallAction::Kind::CancelBranch, i));
    }
  }
  stepFinishedIfDone(now_ms, out);
}

void CallStateMachine::stepFinishedIfDone(int64_t now_ms, CallActions& out) {
  if (phase_ != Phase::Ringing) return;
  for (const auto& b : branches_) {
    if (b.step == current_step_ && !b.final && !b.cancelled_by_us) return;
  }
  disarmStepTimer(out);
  // A 6xx ends the search (RFC 3261 16.7: a global failure); otherwise the next step rings at once.
  bool global_failure = best_.status() >= 600;
  if (!global_failure && current_step_ + 1 < plan_->steps.size()) {
    startStep(current_step_ + 1, out);
    return;
  }
  const RoutePlan& plan = *plan_;
  int status = plan.final_status ? plan.final_status : best_.status();
  std::string reason = plan.final_status
                           ? (plan.final_reason.empty() ? "Call Failed" : plan.final_reason)
                           : best_.reason();
  schema::EndReason why = schema::EndReason::FAILED;
  if (best_.status() == 480) why = schema::EndReason::NO_ANSWER;
  if (best_.status() == 486 || best_.status() == 600) why = schema::EndReason::BUSY;
  fail(now_ms, status, std::move(reason), why, out);
}

void CallStateMachine::answer(int64_t now_ms, size_t branch, CallActions& out) {
  phase_ = Phase::Answered;
  answered_ = branch;
  answered_ms_ = now_ms;
  disarmStepTimer(out);
  cancelBranches(branch, out);  // first 2xx wins; the other phones stop ringing
  out.push_back(onBranch(CallAction::Kind::AnswerCaller, branch));
  int max_s = plan_->max_duration_s ? plan_->max_duration_s : default_max_duration_s_;
  CallAction arm = act(CallAction::Kind::ArmDurationTimer);
  arm.ms = static_cast<int64_t>(max_s) * 1000;
  out.push_back(std::move(arm));
  duration_timer_armed_ = true;
  out.push_back(onBranch(CallAction::Kind::PublishAnswered, branch));
}

void CallStateMachine::cancelBranches(size_t except, CallActions& out) {
  for (size_t i = 0; i < branches_.size(); ++i) {
    BranchState& b = branches_[i];
    if (i == except || b.final || b.cancelled_by_us) continue;
    b.cancelled_by_us = true;
    // A MESSAGE has no CANCEL (RFC 3261 9.1): its transaction just runs out.
    if (kind_ == schema::CallKind::VOICE) {
      out.push_back(onBranch(CallAction::Kind::CancelBranch, i));
    }
  }
}

void CallStateMachine::disarmStepTimer(CallActions& out) {
  if (!step_timer_armed_) return;
  step_timer_armed_ = false;
  out.push_back(act(CallAction::Kind::DisarmStepTimer));
}

// ---------------------------------------------------------------------------------------------
// The caller, the dialog and the clock

void CallStateMachine::callerCancelled(int64_t now_ms, CallActions& out) {
  // Once a 2xx went upstream the CANCEL has no effect on the call (RFC 3261 9.2, 16.10).
  if (phase_ == Phase::Answered) return;
  end(now_ms, schema::EndReason::CALLER_CANCEL, 487, out);
}

void CallStateMachine::bye(int64_t now_ms, bool from_caller, CallActions& out) {
  if (phase_ != Phase::Answered) return;
  end(now_ms, from_caller ? schema::EndReason::CALLER_HANGUP : schema::EndReason::CALLEE_HANGUP,
      200, out);
}

void CallStateMachine::timeLimitReached(int64_t now_ms, CallActions& out) {
  duration_timer_armed_ = false;
  if (phase_ != Phase::Answered) return;
  // seed 000 (after-hours time limit): the proxy ends the call itself, towards both sides.
  CallAction bye = act(CallAction::Kind::ByeBothSides);
  bye.reason = "call time limit";
  out.push_back(std::move(bye));
  end(now_ms, schema::EndReason::MAX_DURATION, 200, out);
}

void CallStateMachine::shutDown(int64_t now_ms, CallActions& out) {
  if (phase_ == Phase::Answered) {
    CallAction bye = act(CallAction::Kind::ByeBothSides);
    bye.reason = "ingress shutting down";
    out.push_back(std::move(bye));
  }
  end(now_ms, schema::EndReason::INTERNAL_ERROR, 503, out);
}

void CallStateMachine::drainOver(int64_t now_ms, CallActions& out) {
  if (phase_ == Phase::Admitting) {
    fail(now_ms, 503, "Service Unavailable (ingress shutting down)",
         schema::EndReason::INTERNAL_ERROR, out);
  } else if (phase_ == Phase::Ringing) {
    fail(now_ms, 480, "Temporarily Unavailable (ingress shutting down)",
         schema::EndReason::INTERNAL_ERROR, out);
  } else {
    shutDown(now_ms, out);
  }
}

void CallStateMachine::fail(int64_t now_ms, int status, std::string reason, schema::EndReason why,
                            CallActions& out) {
  if (phase_ == Phase::Ended) return;
  CallAction reject = act(CallAction::Kind::RejectCaller);
  reject.status = status;
  reject.reason = std::move(reason);
  reject.why = why;
  out.push_back(std::move(reject));
  end(now_ms, why, status, out);
}

void CallStateMachine::end(int64_t now_ms, schema::EndReason why, int status, CallActions& out) {
  if (phase_ == Phase::Ended) return;
  phase_ = Phase::Ended;
  ended_ms_ = now_ms;
  end_reason_ = why;
  end_status_ = status;
  disarmStepTimer(out);
  if (duration_timer_armed_) {
    duration_timer_armed_ = false;
    out.push_back(act(CallAction::Kind::DisarmDurationTimer));
  }
  cancelBranches(answered_, out);
  if (!plan_) out.push_back(act(CallAction::Kind::CancelRouterRequest));
  if (slot_held_) {
    slot_held_ = false;
    CallAction release = act(CallAction::Kind::ReleaseSlot);
    release.near_cap = slot_near_cap_;
    out.push_back(std::move(release));
  }
  // Calls refused before ringing were never offered to anyone: no lifecycle to close.
  if (offered_published_) out.push_back(act(CallAction::Kind::PublishEnded));
  CallAction ended = act(CallAction::Kind::CallEnded);
  ended.why = why;
  ended.status = status;
  out.push_back(std::move(ended));
}

// How branch `i` ended, as the call detail record tells it (schema LegEnd.status).
int CallStateMachine::legStatus(size_t i) const {
  const BranchState& b = branches_[i];
  if (i == answered_) return 200;
  if (b.timed_out) return 408;
  // A late 2xx was ACKed and BYEd at once: the leg lost, as if cancelled.
  if (b.final_status >= 200 && b.final_status < 300) return 487;
  if (b.final_status) return b.final_status;
  return b.cancelled_by_us ? 487 : 0;
}

CallEndInfo CallStateMachine::endInfo(const CallIdentity& id) const {
  CallEndInfo end;
  end.answered = answered_ != kNone;
  if (end.answered) end.answered_by = target(answered_).leg;
  end.reason = end_reason_;
  end.status = end_status_;
  end.duration_ms = ended_ms_ - offered_ms_;
  // A delivered text has no answer time: as before the split, its talk time counts from 0.
  end.talk_ms = end.answered ? ended_ms_ - answered_ms_ : 0;
  end.rung_legs.reserve(branches_.size());
  end.leg_ends.reserve(branches_.size());
  for (size_t i = 0; i < branches_.size(); ++i) {
    end.rung_legs.push_back(target(i).leg);
    end.leg_ends.push_back(LegEndInfo{legStatus(i), branches_[i].provisional});
  }
  bool routed = plan_ && !plan_->reject;
  end.number = routed && !plan_->number.empty() ? plan_->number : id.dialed;
  end.rule = routed ? plan_->rule : std::string();
  if (routed) {
    end.trace = plan_->trace;
    end.source_tag = plan_->source_tag;
    end.project = plan_->project;
    end.outbound_callee = plan_->outbound_callee;
  }
  return end;
}

}  // namespace callmesh::ingress
