#include "services/ingress/call_state_machine.h"

#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

constexpr int kDefaultLimitS = 14400;

// A ring plan in shorthand: one entry per step, {targets, timeout_ms}. Target t of step s is
// sip:s<s>t<t>@127.0.0.1.
struct StepShape {
  size_t targets;
  int timeout_ms;
};

std::shared_ptr<const RoutePlan> planOf(const std::vector<StepShape>& shape, int final_status = 0,
                                        const std::string& final_reason = "") {
  auto plan = std::make_shared<RoutePlan>();
  for (size_t s = 0; s < shape.size(); ++s) {
    PlanStep step;
    step.timeout_ms = shape[s].timeout_ms;
    for (size_t t = 0; t < shape[s].targets; ++t) {
      PlanTarget target;
      target.uri = "sip:s" + std::to_string(s) + "t" + std::to_string(t) + "@127.0.0.1";
      target.leg.uri = target.uri;
      target.leg.number = "+1555000" + std::to_string(s) + std::to_string(t);
      step.targets.push_back(target);
    }
    plan->steps.push_back(step);
  }
  plan->final_status = final_status;
  plan->final_reason = final_reason;
  plan->rule = "test-rule";
  plan->number = "+15550100";
  return plan;
}

std::string describe(const CallAction& a) {
  using K = CallAction::Kind;
  std::string b = "b" + std::to_string(a.branch);
  switch (a.kind) {
    case K::Fork:
      return "fork " + std::to_string(a.step);
    case K::CancelBranch:
      return "cancel " + b;
    case K::RelayProvisional:
      return "relay-18x " + b;
    case K::AnswerCaller:
      return "answer " + b;
    case K::RelayFinal:
      return "relay-final " + b;
    case K::AckByeLate:
      return "ack-bye " + b;
    case K::RejectCaller:
      return "reject " + std::to_string(a.status) + " " + a.reason + " (" + endReasonName(a.why) +
             ")";
    case K::ByeBothSides:
      return "bye-both " + a.reason;
    case K::ReleaseSlot:
      return a.near_cap ? "release-now" : "release";
    case K::CancelRouterRequest:
      return "cancel-route";
    case K::PublishOffered:
      return "offered";
    case K::PublishLegRinging:
      return "ringing " + b;
    case K::PublishLegFailed:
      return "failed " + b + " " + std::to_string(a.status);
    case K::PublishLegTimedOut:
      return "timed-out " + b;
    case K::PublishAnswered:
      return "answered " + b;
    case K::PublishEnded:
      return "ended";
    case K::CallEnded:
      return std::string("end ") + endReasonName(a.why) + " " + std::to_string(a.status);
    case K::ArmStepTimer:
      return "arm-step " + std::to_string(a.ms);
    case K::DisarmStepTimer:
      return "disarm-step";
    case K::ArmDurationTimer:
      return "arm-limit " + std::to_string(a.ms);
    case K::DisarmDurationTimer:
      return "disarm-limit";
  }
  return "?";
}

// Plays the SIP adapter's part: forks by starting every target (except the unsendable ones),
// and renders what the machine asked for as "; "-separated text.
class Ring {
 public:
  Ring(schema::CallKind kind, std::shared_ptr<const RoutePlan> plan,
       std::set<std::string> unsendable)
      : machine_(kind, now_, kDefaultLimitS),
        plan_(std::move(plan)),
        unsendable_(std::move(unsendable)) {}

  std::string fire(const std::string& event) {
    out_.clear();
    now_ += 1000;
    std::istringstream words(event);
    std::string what;
    words >> what;
    if (what == "granted") {
      machine_.slotGranted(now_, false, out_);
    } else if (what == "granted-near-cap") {
      machine_.slotGranted(now_, true, out_);
    } else if (what == "over-cap") {
      machine_.refused(now_, 486, "Busy Here", schema::EndReason::REJECTED, out_);
    } else if (what == "unreachable") {
      machine_.refused(now_, 503, "Service Unavailable", schema::EndReason::INTERNAL_ERROR, out_);
    } else if (what == "routed") {
      machine_.routed(now_, plan_, out_);
    } else if (what == "timer") {
      machine_.stepTimerFired(now_, out_);
    } else if (what == "cancel") {
      machine_.callerCancelled(now_, out_);
    } else if (what == "bye-from-caller") {
      machine_.bye(now_, true, out_);
    } else if (what == "bye-from-callee") {
      machine_.bye(now_, false, out_);
    } else if (what == "limit") {
      machine_.timeLimitReached(now_, out_);
    } else if (what == "shutdown") {
      machine_.shutDown(now_, out_);
    } else if (what == "drain") {
      machine_.drainOver(now_, out_);
    } else if (what.size() > 1 && what[0] == 'b') {
      size_t branch = std::stoul(what.substr(1));
      int status = 0;
      words >> status;
      if (status < 200) {
        machine_.provisional(branch, status, out_);
      } else {
        machine_.finalResponse(now_, branch, status, "phrase", out_);
      }
    } else {
      ADD_FAILURE() << "unknown event " << event;
    }
    std::string text;
    for (size_t i = 0; i < out_.size(); ++i) {
      CallAction a = out_[i];  // a copy: forking below appends to out_
      if (!text.empty()) text += "; ";
      text += describe(a);
      if (a.kind == CallAction::Kind::Fork) fork(a.step);
    }
    return text;
  }

  const CallStateMachine& machine() const { return machine_; }

 private:
  void fork(size_t step) {
    const auto& targets = machine_.plan()->steps[step].targets;
    for (size_t t = 0; t < targets.size(); ++t) {
      if (unsendable_.count(targets[t].uri)) {
        machine_.branchNotStarted(503);
      } else {
        machine_.branchStarted(step, t);
      }
    }
    machine_.forkSent(now_, out_);
  }

  int64_t now_ = 1'000'000;
  CallStateMachine machine_;
  std::shared_ptr<const RoutePlan> plan_;
  std::set<std::string> unsendable_;
  CallActions out_;
};

struct Exchange {
  std::string event;
  std::string actions;  // what the machine must answer, in order
};

struct RingCase {
  RingCase(std::string name_, std::vector<StepShape> plan_, std::vector<Exchange> exchanges_,
           schema::CallKind kind_ = schema::CallKind::VOICE, int final_status_ = 0,
           std::string final_reason_ = "", std::set<std::string> unsendable_ = {})
      : name(std::move(name_)),
        plan(std::move(plan_)),
        exchanges(std::move(exchanges_)),
        kind(kind_),
        final_status(final_status_),
        final_reason(std::move(final_reason_)),
        unsendable(std::move(unsendable_)) {}
  std::string name;
  std::vector<StepShape> plan;
  std::vector<Exchange> exchanges;
  schema::CallKind kind = schema::CallKind::VOICE;
  int final_status = 0;
  std::string final_reason;
  std::set<std::string> unsendable;
};

const char* kAnswerB1 = "disarm-step; cancel b0; answer b1; arm-limit 14400000; answered b1";

std::vector<RingCase> ringCases() {
  return {
      {"ParallelForkFirstAnswerWins",
       {{2, 30000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 30000"},
        {"b0 180", "relay-18x b0; ringing b0"},
        {"b1 200", kAnswerB1},
        {"b0 487", ""},  // the answer to our CANCEL is ours: not a failure of the leg
        {"bye-from-caller", "disarm-limit; release; ended; end caller_hangup 200"}}},
      {"SequentialStepTimesOutThenNextStepAnswers",
       {{1, 20000}, {1, 30000}},
       {{"routed", ""},  // waits for the slot
        {"granted", "offered; fork 0; arm-step 20000"},
        {"timer", "timed-out b0; cancel b0; fork 1; arm-step 30000"},
        {"b0 487", ""},
        {"b1 200", "disarm-step; answer b1; arm-limit 14400000; answered b1"},
        {"bye-from-callee", "disarm-limit; release; ended; end callee_hangup 200"}}},
      {"BusyThenNextStepThenAllFail",
       {{1, 20000}, {1, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"b0 486", "failed b0 486; disarm-step; fork 1; arm-step 20000"},
        // 16.7: same class, the first seen (486) wins over the later 480.
        {"b1 480",
         "failed b1 480; disarm-step; reject 486 Busy Here (busy); release; ended; end busy 486"}}},
      {"AllFailBestResponseIsLowestClass",
       {{3, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"b0 503", "failed b0 503"},
        {"b1 404", "failed b1 404"},
        {"b2 486",
         "failed b2 486; disarm-step; reject 404 Not Found (failed); release; ended; "
         "end failed 404"}}},
      {"AllFailA503BecomesA500",
       {{1, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"b0 503",
         "failed b0 503; disarm-step; reject 500 Server Internal Error (failed); release; "
         "ended; end failed 500"}}},
      {"AllFailRouterFinalStatusWins",
       {{1, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"b0 404",
         "failed b0 404; disarm-step; reject 486 Busy Here (failed); release; ended; "
         "end failed 486"}},
       schema::CallKind::VOICE,
       486,
       "Busy Here"},
      {"EarlyMediaNeverStopsTheRingTimer",
       {{1, 20000}, {1, 15000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"b0 183", "relay-18x b0; ringing b0"},
        {"b0 183", "relay-18x b0"},  // relayed again, published once
        {"timer", "timed-out b0; cancel b0; fork 1; arm-step 15000"},
        {"timer",
         "timed-out b1; cancel b1; reject 480 Temporarily Unavailable (no_answer); release; "
         "ended; end no_answer 480"},
        {"b1 487", ""}}},
      // ... but a 6xx from a branch a step timer already cancelled does not end the next step.
      {"DeclineOfOurCancelDoesNotEndTheNextStep",
       {{1, 20000}, {1, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"timer", "timed-out b0; cancel b0; fork 1; arm-step 20000"},
        {"b0 603", "failed b0 603"},
        {"b1 200", "disarm-step; answer b1; arm-limit 14400000; answered b1"}}},
      {"CancelWhileForkingThenLateAnswerIsAckedAndHungUp",
       {{2, 30000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 30000"},
        {"cancel", "disarm-step; cancel b0; cancel b1; release; ended; end caller_cancel 487"},
        {"b0 487", ""},
        {"b1 200", "ack-bye b1"}}},
      {"CancelDuringAdmission",
       {{1, 30000}},
       {{"cancel", "cancel-route; end caller_cancel 487"}, {"granted", ""}, {"routed", ""}}},
      {"TimeLimitByesBothSides",
       {{1, 30000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 30000"},
        {"b0 200", "disarm-step; answer b0; arm-limit 14400000; answered b0"},
        {"limit", "bye-both call time limit; release; ended; end max_duration 200"},
        {"limit", ""},
        {"bye-from-caller", ""}}},
      // RFC 3261 16.7 step 5 / 6: a 6xx stops the search (no later step), and the 6xx goes up
      // once the step is over. Like the proxy before the split, the other branches of the step
      // are not cancelled at once: they ring out (or answer) within the step.
      // RFC 3261 16.7 step 5: a 6xx cancels every pending branch and ends the fork at once.
      {"GlobalFailureCancelsThePendingBranchesAndEndsTheFork",
       {{2, 20000}, {1, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"b0 603",
         "failed b0 603; cancel b1; disarm-step; reject 603 Decline (failed); release; "
         "ended; end failed 603"},
        {"b1 487", ""}}},
      {"BusyEverywhereEndsTheForkAtOnceWhenAlone",
       {{1, 20000}, {1, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"b0 600",
         "failed b0 600; disarm-step; reject 600 Busy Everywhere (busy); release; ended; "
         "end busy 600"}}},
      // RFC 3261 9.2 / 16.10: once a 2xx went upstream the CANCEL has no effect on the call.
      {"AnswerRacingCancelKeepsTheCall",
       {{2, 30000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 30000"},
        {"b1 200", kAnswerB1},
        {"cancel", ""},
        {"b0 200", "ack-bye b0"},  // 200 on a branch we already cancelled
        {"bye-from-caller", "disarm-limit; release; ended; end caller_hangup 200"}}},
      // A branch cancelled by its step's timer may still answer while the next step rings: the
      // 2xx is forwarded (16.7 step 5) and the next step is cancelled.
      {"AnswerFromATimedOutStepStillWins",
       {{1, 20000}, {1, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"timer", "timed-out b0; cancel b0; fork 1; arm-step 20000"},
        {"b0 200", "disarm-step; cancel b1; answer b0; arm-limit 14400000; answered b0"}}},
      {"UnsendableStepMovesOnAtOnce",
       {{1, 20000}, {1, 25000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; fork 1; arm-step 25000"},
        // The unsendable target counts as a 503 in the best response; the 480 ranks better.
        {"b0 480",
         "failed b0 480; disarm-step; reject 480 Temporarily Unavailable (no_answer); release; "
         "ended; end no_answer 480"}},
       schema::CallKind::VOICE,
       0,
       "",
       {"sip:s0t0@127.0.0.1"}},
      {"OverCapIsBusyAndNeverForks",
       {{1, 20000}},
       {{"over-cap", "reject 486 Busy Here (rejected); cancel-route; end rejected 486"},
        {"routed", ""}}},
      {"RouterUnreachableAfterGrantReleasesTheSlot",
       {{1, 20000}},
       {{"granted", ""},
        {"unreachable",
         "reject 503 Service Unavailable (internal_error); cancel-route; release; "
         "end internal_error 503"}}},
      {"NearCapSlotGoesBackAtOnce",
       {{1, 20000}},
       {{"granted-near-cap", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"b0 486",
         "failed b0 486; disarm-step; reject 486 Busy Here (busy); release-now; ended; "
         "end busy 486"}}},
      {"ShutdownWhileRingingEndsWithoutAnswer",
       {{1, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"shutdown", "disarm-step; cancel b0; release; ended; end internal_error 503"}}},
      // Issue 16 item 8: the ingress going away still answers every caller that waits.
      {"DrainWhileRingingAnswers480AndCancels",
       {{1, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"b0 180", "relay-18x b0; ringing b0"},
        {"drain",
         "reject 480 Temporarily Unavailable (ingress shutting down) (internal_error); "
         "disarm-step; cancel b0; release; ended; end internal_error 480"}}},
      {"DrainWhileAdmittingAnswers503",
       {{1, 20000}},
       {{"granted", ""},
        {"drain",
         "reject 503 Service Unavailable (ingress shutting down) (internal_error); cancel-route; "
         "release; end internal_error 503"}}},
      {"DrainWhileTalkingByesBothSides",
       {{1, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"b0 200", "disarm-step; answer b0; arm-limit 14400000; answered b0"},
        {"drain",
         "bye-both ingress shutting down; disarm-limit; release; ended; end internal_error 503"}}},
      {"ShutdownWhileTalkingByesBothSides",
       {{1, 20000}},
       {{"granted", ""},
        {"routed", "offered; fork 0; arm-step 20000"},
        {"b0 200", "disarm-step; answer b0; arm-limit 14400000; answered b0"},
        {"shutdown",
         "bye-both ingress shutting down; disarm-limit; release; ended; end internal_error 503"}}},
      // Texts: no slot, no ring timer, every target of the step gets the MESSAGE; the first 2xx
      // is relayed and the others are left to run out (a MESSAGE cannot be cancelled).
      {"TextGoesToEveryTargetFirstAcceptWins",
       {{2, 20000}},
       {{"routed", "offered; fork 0"},
        {"b0 200", "relay-final b0; ended; end delivered 200"},
        {"b1 200", ""}},
       schema::CallKind::TEXT},
      {"TextRefusedEverywhere",
       {{2, 20000}},
       {{"routed", "offered; fork 0"},
        {"b0 404", "failed b0 404"},
        {"b1 480", "failed b1 480; reject 404 Not Found (failed); ended; end failed 404"}},
       schema::CallKind::TEXT},
  };
}

// ctest shows the case's name, not its bytes.
void PrintTo(const RingCase& c, std::ostream* os) { *os << c.name; }

class RingShapes : public ::testing::TestWithParam<RingCase> {};

TEST_P(RingShapes, ExactActions) {
  const RingCase& c = GetParam();
  Ring ring(c.kind, planOf(c.plan, c.final_status, c.final_reason), c.unsendable);
  for (size_t i = 0; i < c.exchanges.size(); ++i) {
    EXPECT_EQ(ring.fire(c.exchanges[i].event), c.exchanges[i].actions)
        << "exchange " << i << ": " << c.exchanges[i].event;
  }
}

INSTANTIATE_TEST_SUITE_P(CallStateMachine, RingShapes, ::testing::ValuesIn(ringCases()),
                         [](const auto& info) { return info.param.name; });

TEST(CallStateMachine, RouterRejectIsRelayedWithItsStatus) {
  auto plan = std::make_shared<RoutePlan>();
  plan->reject = true;
  plan->reject_status = 482;
  plan->reject_reason = "Loop Detected";
  Ring ring(schema::CallKind::VOICE, plan, {});
  EXPECT_EQ(ring.fire("granted"), "");
  EXPECT_EQ(ring.fire("routed"), "reject 482 Loop Detected (rejected); release; end rejected 482");
}

TEST(CallStateMachine, NoTargetsIsTemporarilyUnavailable) {
  Ring ring(schema::CallKind::VOICE, std::make_shared<RoutePlan>(), {});
  EXPECT_EQ(ring.fire("routed"),
            "reject 480 Temporarily Unavailable (no targets) (failed); end failed 480");
  EXPECT_EQ(ring.fire("granted"), "");
}

TEST(CallStateMachine, EndInfoNamesEveryRungLegAndTheAnswer) {
  Ring ring(schema::CallKind::VOICE, planOf({{2, 20000}}), {});
  ring.fire("granted");
  ring.fire("routed");           // t = offered + 2 s
  ring.fire("b1 200");           // t = offered + 3 s
  ring.fire("bye-from-caller");  // t = offered + 4 s
  CallIdentity id{"call-1", "+15550199", "+15550111", schema::CallKind::VOICE};
  CallEndInfo end = ring.machine().endInfo(id);
  EXPECT_TRUE(end.answered);
  EXPECT_EQ(end.answered_by.uri, "sip:s0t1@127.0.0.1");
  EXPECT_EQ(end.reason, schema::EndReason::CALLER_HANGUP);
  EXPECT_EQ(end.status, 200);
  EXPECT_EQ(end.duration_ms, 4000);
  EXPECT_EQ(end.talk_ms, 1000);
  ASSERT_EQ(end.rung_legs.size(), 2u);
  EXPECT_EQ(end.rung_legs[0].uri, "sip:s0t0@127.0.0.1");
  EXPECT_EQ(end.number, "+15550100");
  EXPECT_EQ(end.rule, "test-rule");
}

// Issue 20 call detail record: every leg and how it ended, and the decision's trace and tags.
TEST(CallStateMachine, EndInfoSaysHowEachLegEndedAndCarriesTheDecisionsTrace) {
  auto plan = std::const_pointer_cast<RoutePlan>(planOf({{2, 20000}, {2, 20000}}));
  plan->trace = {"+15550100 is a tracking number", "ring in order"};
  plan->source_tag = "ads";
  Ring ring(schema::CallKind::VOICE, plan, {});
  ring.fire("granted");
  ring.fire("routed");
  ring.fire("b0 180");
  ring.fire("b1 486");
  ring.fire("timer");   // b0 rang out its step; step 2 rings b2 and b3
  ring.fire("b3 200");  // b2 is cancelled
  ring.fire("b2 487");
  ring.fire("bye-from-callee");
  CallEndInfo end = ring.machine().endInfo(
      CallIdentity{"call-2", "+15550100", "+15550111", schema::CallKind::VOICE});
  ASSERT_EQ(end.leg_ends.size(), 4u);
  EXPECT_EQ(end.leg_ends[0].status, 408);
  EXPECT_TRUE(end.leg_ends[0].ringing);
  EXPECT_EQ(end.leg_ends[1].status, 486);
  EXPECT_FALSE(end.leg_ends[1].ringing);
  EXPECT_EQ(end.leg_ends[2].status, 487);
  EXPECT_EQ(end.leg_ends[3].status, 200);
  EXPECT_EQ(end.trace, plan->trace);
  EXPECT_EQ(end.source_tag, "ads");
}

}  // namespace
}  // namespace callmesh::ingress
