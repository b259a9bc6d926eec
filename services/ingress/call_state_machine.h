#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "schemas/call.capnp.h"
#include "services/ingress/best_response.h"
#include "services/ingress/call_events.h"
#include "services/ingress/route_plan.h"

namespace callmesh::ingress {

// The label of an end reason in metrics and logs (`callmesh_ingress_calls_ended_total{reason}`).
const char* endReasonName(schema::EndReason reason);

// One thing the SIP adapter must do for a call, in the order the machine returned them.
struct CallAction {
  enum class Kind {
    // Send every target of `step`, reporting each to the machine with branchStarted() or
    // branchNotStarted(), then call forkSent() (a step where nothing could be sent moves on).
    Fork,
    CancelBranch,         // CANCEL `branch` (INVITE branches only: a MESSAGE cannot be cancelled)
    RelayProvisional,     // relay `branch`'s 18x to the caller
    AnswerCaller,         // relay `branch`'s 2xx to the caller: the call is answered
    RelayFinal,           // relay `branch`'s final response to the caller (a text was delivered)
    AckByeLate,           // ACK and BYE `branch`'s 2xx: only one answer goes upstream (16.7)
    RejectCaller,         // answer the caller `status` `reason` (counted and logged as `why`)
    ByeBothSides,         // end the dialog ourselves, BYE to both sides with Reason `reason`
    ReleaseSlot,          // give the slot back; `near_cap`: at once, not in the next tick's batch
    CancelRouterRequest,  // the decision is no longer wanted
    PublishOffered,       // the call was admitted and starts ringing
    PublishLegRinging,    // `branch` sent its first 18x
    PublishLegFailed,     // `branch` answered a failure `status` `reason`
    PublishLegTimedOut,   // `branch` rang out its step (published as 408 "ring timeout")
    PublishAnswered,      // `branch` answered
    PublishEnded,         // the `ended` event, built with endInfo()
    CallEnded,            // the call ended as `why` with `status`: count and log it
    ArmStepTimer,         // fire stepTimerFired() in `ms`
    DisarmStepTimer,
    ArmDurationTimer,  // fire timeLimitReached() in `ms`
    DisarmDurationTimer,
  };
  Kind kind;
  size_t branch = 0;
  size_t step = 0;
  int status = 0;
  int64_t ms = 0;
  bool near_cap = false;
  schema::EndReason why = schema::EndReason::FAILED;
  std::string reason;
};

// The adapter keeps one of these and clears it per event, so deciding allocates nothing once its
// capacity has grown.
using CallActions = std::vector<CallAction>;

// The ring logic of one call (RFC 3261 section 16), from admission to its end: takes events
// (limiter and router answers, branch responses, timers, CANCEL, BYE) and returns actions. It
// knows no sofia, no sockets and no clock: times are passed in (steady milliseconds). Events that
// no longer apply (a timer of an ended call, a CANCEL after the 2xx went upstream) return nothing.
class CallStateMachine {
 public:
  enum class Phase { Admitting, Ringing, Answered, Ended };

  struct BranchState {
    size_t step = 0;
    size_t target = 0;
    bool provisional = false;      // sent 180/183
    bool final = false;            // sent a final response
    bool cancelled_by_us = false;  // CANCELled (or, for a text, no longer wanted)
    bool timed_out = false;        // rang out its step (published as 408)
    int final_status = 0;          // the final response it sent, 0 = none seen
  };

  // `default_max_duration_s`: the call time limit when the plan sets none.
  CallStateMachine(schema::CallKind kind, int64_t offered_ms, int default_max_duration_s);

  // Admission: a voice call rings once it holds a slot and has a route; a text needs no slot.
  void slotGranted(int64_t now_ms, bool near_cap, CallActions& out);
  // Over the cap (486), or the limiter or router could not be asked (503) or answered nonsense.
  void refused(int64_t now_ms, int status, std::string reason, schema::EndReason why,
               CallActions& out);
  void routed(int64_t now_ms, std::shared_ptr<const RoutePlan> plan, CallActions& out);

  // Fork feedback (see CallAction::Fork). branchStarted returns the branch's index.
  size_t branchStarted(size_t step, size_t target);
  void branchNotStarted(int status);
  void forkSent(int64_t now_ms, CallActions& out);

  // A branch's response: 101-199 provisional, 200-699 final. `reason` is its phrase.
  void provisional(size_t branch, int status, CallActions& out);
  void finalResponse(int64_t now_ms, size_t branch, int status, const std::string& reason,
                     CallActions& out);
  void stepTimerFired(int64_t now_ms, CallActions& out);
  // CANCEL from the caller (NTA has answered it and the INVITE): has no effect once answered.
  void callerCancelled(int64_t now_ms, CallActions& out);
  // BYE from either side of an answered call.
  void bye(int64_t now_ms, bool from_caller, CallActions& out);
  void timeLimitReached(int64_t now_ms, CallActions& out);
  // Drain over: BYE whatever is connected and end the rest (the caller is not answered).
  void shutDown(int64_t now_ms, CallActions& out);
  // Drain over, for the ingress going away: like shutDown, but a caller still waiting gets its
  // final response first (RFC 3261 16.7: a proxy that gives up on a request still answers it).
  // Admitting (no phone rung yet): 503 Service Unavailable, the ingress's own state, which a
  // gateway takes as "try another server" (21.5.4), as new calls during the drain get. Ringing:
  // 480 Temporarily Unavailable, the callee was reached but did not answer in time (21.4.18);
  // not 487, which says the caller's CANCEL or BYE ended it, and not 503, which would make the
  // gateway ring the same phones again through another ingress.
  void drainOver(int64_t now_ms, CallActions& out);

  Phase phase() const { return phase_; }
  schema::CallKind kind() const { return kind_; }
  bool slotHeld() const { return slot_held_; }
  bool routeDecided() const { return plan_ != nullptr; }
  const std::shared_ptr<const RoutePlan>& plan() const { return plan_; }
  size_t currentStep() const { return current_step_; }
  const std::vector<BranchState>& branches() const { return branches_; }
  const PlanTarget& target(size_t branch) const;
  // The branch that answered (or delivered a text), if any.
  const PlanTarget* answeredTarget() const;
  int64_t offeredMs() const { return offered_ms_; }
  int64_t answeredMs() const { return answered_ms_; }
  const BestResponse& best() const { return best_; }
  // What the `ended` event carries; valid once the call has ended.
  CallEndInfo endInfo(const CallIdentity& id) const;

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  void maybeStartRinging(CallActions& out);
  void startStep(size_t step, CallActions& out);
  void stepFinishedIfDone(int64_t now_ms, CallActions& out);
  void answer(int64_t now_ms, size_t branch, CallActions& out);
  void cancelBranches(size_t except, CallActions& out);
  void disarmStepTimer(CallActions& out);
  void fail(int64_t now_ms, int status, std::string reason, schema::EndReason why,
            CallActions& out);
  void end(int64_t now_ms, schema::EndReason why, int status, CallActions& out);
  int legStatus(size_t branch) const;

  schema::CallKind kind_;
  Phase phase_ = Phase::Admitting;
  int64_t offered_ms_;
  int64_t answered_ms_ = 0;
  int64_t ended_ms_ = 0;
  int default_max_duration_s_;
  bool slot_held_ = false;
  bool slot_near_cap_ = false;
  bool offered_published_ = false;
  bool step_timer_armed_ = false;
  bool duration_timer_armed_ = false;
  // What the router decided; a reused decision is shared with the RouteCache, never copied.
  std::shared_ptr<const RoutePlan> plan_;
  std::vector<BranchState> branches_;
  size_t current_step_ = 0;
  size_t sent_in_step_ = 0;
  size_t answered_ = kNone;
  BestResponse best_;
  schema::EndReason end_reason_ = schema::EndReason::FAILED;
  int end_status_ = 0;
};

}  // namespace callmesh::ingress
