// Seed 000 (000_246ae9c7ee9a1def.txt): tracking numbers and the receiving numbers they forward to,
// together or in order, with each receiving number's options (extension, whisper, recording,
// caller-ID rule, source tag) and which of them apply only when a number is dialled alone.
#include "services/router/route_planner.h"

#include <algorithm>

#include "services/router/route_walk.h"

namespace callmesh::router {

void RoutePlanner::planTrackingNumber(const TrackingNumber& tn, Walk& walk) const {
  RouteOutcome& out = walk.out;
  walk.whisper = tn.whisper;
  if (tn.route) {
    out.rule = std::string("route_") + destinationKindName(tn.route->kind);
    std::replace(out.rule.begin(), out.rule.end(), ' ', '_');
    out.trace.push_back("tracking number " + tn.number + " routes to " +
                        destinationKindName(tn.route->kind) + " " + tn.route->ref);
    ringDestination(*tn.route, walk);
    return;
  }
  // seed 000: schedules, no-answer routing and the caller-ID rule of a receiving number apply
  // only when the tracking number forwards to that number alone.
  if (tn.receiving_numbers.size() == 1) {
    out.rule = "direct_forward";
    out.trace.push_back("tracking number " + tn.number + " forwards to 1 receiving number");
    ringAlone(config_.receiving_numbers.at(tn.receiving_numbers.front()), tn.ring_timeout_ms,
              tn.no_answer, walk);
    return;
  }
  bool together = tn.ring_order == RingOrder::Together;
  out.rule = together ? "direct_forward" : "forward_in_order";
  out.trace.push_back("tracking number " + tn.number + " forwards to " +
                      std::to_string(tn.receiving_numbers.size()) + " receiving numbers " +
                      (together ? "rung together" : "rung in order"));
  for (const auto& number : tn.receiving_numbers) {
    const ReceivingNumber& rn = config_.receiving_numbers.at(number);
    if (rn.schedule) {
      out.trace.push_back("receiving number " + rn.number + ": schedule " +
                          rn.schedule->schedule_id +
                          " not applied (tracking number rings several numbers)");
    }
    if (rn.no_answer) {
      out.trace.push_back("receiving number " + rn.number +
                          ": own no-answer routing not applied (rung with others)");
    }
    applyTaggingHours(rn, walk);
    PlannedTarget t = target(rn, false, walk);
    if (together) {
      if (out.steps.empty()) out.steps.push_back(PlannedStep{{}, tn.ring_timeout_ms});
      out.steps.back().targets.push_back(std::move(t));
    } else {
      out.steps.push_back(
          PlannedStep{{std::move(t)}, rn.ring_timeout_ms.value_or(tn.ring_timeout_ms)});
    }
  }
  if (tn.no_answer) {
    out.trace.push_back("tracking number no-answer routing: " +
                        std::string(destinationKindName(tn.no_answer->kind)) + " " +
                        tn.no_answer->ref);
    ringDestination(*tn.no_answer, walk);
  } else {
    out.trace.push_back("no answer: hang up (busy)");
  }
}

void RoutePlanner::ringAlone(const ReceivingNumber& rn, int timeout_ms,
                             const std::optional<Destination>& otherwise, Walk& walk) const {
  RouteOutcome& out = walk.out;
  if (routeWhenClosed(rn, walk)) return;  // seed 000 schedules, plan_schedules.cpp
  applyTaggingHours(rn, walk);
  out.steps.push_back(
      PlannedStep{{target(rn, true, walk)}, rn.ring_timeout_ms.value_or(timeout_ms)});
  out.trace.push_back("ring receiving number " + rn.number + " for " +
                      std::to_string(out.steps.back().timeout_ms / 1000) + " s");
  const std::optional<Destination>& next = rn.no_answer ? rn.no_answer : otherwise;
  if (next) {
    out.trace.push_back("no answer from " + rn.number + ": " +
                        std::string(destinationKindName(next->kind)) +
                        (next->ref.empty() ? "" : " " + next->ref));
    ringDestination(*next, walk);
  } else {
    out.trace.push_back("no answer from " + rn.number + ": hang up (busy)");
  }
}

PlannedTarget RoutePlanner::target(const ReceivingNumber& rn, bool alone, Walk& walk) const {
  PlannedTarget t;
  t.uri = rn.uri;
  t.number = rn.number;
  t.agent_id = rn.agent_id;
  t.extension_digits = rn.extensionDigits();
  t.whisper = rn.whisper.empty() ? walk.whisper : rn.whisper;
  t.prevent_recording = rn.prevent_recording;
  t.source_tag = rn.source_tag;
  if (rn.caller_id.mode != CallerIdRule::Mode::Caller) {
    if (!alone) {
      walk.out.trace.push_back("receiving number " + rn.number +
                               ": caller-ID rule not applied (only when forwarding to one number)");
    } else {
      t.caller_id_number = rn.caller_id.mode == CallerIdRule::Mode::TrackingNumber
                               ? walk.dialed
                               : rn.caller_id.number;
      walk.out.trace.push_back("receiving number " + rn.number + ": present caller ID " +
                               t.caller_id_number);
    }
  }
  return t;
}

}  // namespace callmesh::router
