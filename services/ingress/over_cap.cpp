// What CallControl does when the limiter refuses a new call a slot (the number is at its cap,
// seed 004_ee4e98a6a7f6781b.txt): ask again, wait for a slot this ingress frees, or turn the
// caller away with 486 (services/ingress/cap_waits.h says why it waits).
#include "services/ingress/call_control.h"

namespace callmesh::ingress {

void CallControl::overCap(Call& call, AcquireSent sent) {
  const std::string& call_id = call.id.call_id;
  switch (cap_waits_.refused({.call_id = call_id,
                              .number = call.slot_number,
                              .offered_ms = call.machine.offeredMs(),
                              .releases_before = sent.releases_before,
                              .now_ms = clock_.steadyMs(),
                              .wait_ms = config_.ingress.cap_wait_ms})) {
    case CapWaits::Verdict::AskAgain:
      queueAcquire(call_id, call.slot_number, true);
      return;
    case CapWaits::Verdict::Wait:
      if (!call.waited_at_cap) log_.debug("call_waits_at_cap", {{"call_id", call_id}});
      call.waited_at_cap = true;
      metrics_.cap_waiting.Set(static_cast<double>(cap_waits_.waiting()));
      return;
    case CapWaits::Verdict::Busy:
      turnAwayOverCap(call);
      return;
  }
}

void CallControl::turnAwayOverCap(Call& call) {
  int64_t now = clock_.steadyMs();
  metrics_.cap_rejections.Increment();
  if (call.waited_at_cap) metrics_.cap_waits_busy.Increment();
  log_.info("call_over_cap",
            {{"call_id", call.id.call_id},
             {"number", call.slot_number},
             {"waited_ms", call.waited_at_cap ? now - call.machine.offeredMs() : 0}});
  size_t start = actions_.size();
  call.machine.refused(now, 486, "Busy Here", schema::EndReason::REJECTED, actions_);
  run(call, start);
}

void CallControl::wakeCallWaitingFor(const std::string& number) {
  for (auto woken = cap_waits_.released(number); woken; woken = cap_waits_.wakeNext(number)) {
    Call* call = find(*woken);
    if (!call || call->machine.phase() == CallStateMachine::Phase::Ended) continue;
    metrics_.cap_waiting.Set(static_cast<double>(cap_waits_.waiting()));
    // The acquire carries the release just queued, ahead of itself.
    queueAcquire(*woken, number, true);
    return;
  }
}

void CallControl::turnAwayExpiredWaits() {
  if (cap_waits_.waiting() == 0) return;
  expired_waits_.clear();
  cap_waits_.expired(clock_.steadyMs(), expired_waits_);
  if (expired_waits_.empty()) return;
  metrics_.cap_waiting.Set(static_cast<double>(cap_waits_.waiting()));
  for (const auto& call_id : expired_waits_) {
    Call* call = find(call_id);
    if (call && call->machine.phase() != CallStateMachine::Phase::Ended) turnAwayOverCap(*call);
  }
}

}  // namespace callmesh::ingress
