#include "services/router/route_planner.h"

#include "services/router/phone_number.h"

namespace callmesh::router {

RouteOutcome RoutePlanner::decide(const CallQuery& call) const {
  RouteOutcome out;
  auto dialed = toE164(call.dialed);
  if (!dialed.ok()) {
    out.reject = true;
    out.status = 404;
    out.reason = "Not Found (dialed number does not parse)";
    out.rule = "unparseable";
    out.trace.push_back("dialed '" + call.dialed + "': " + dialed.error().message);
    return out;
  }
  out.number = dialed.value();
  auto it = config_.tracking_numbers.find(dialed.value());
  if (it == config_.tracking_numbers.end()) {
    out.reject = true;
    out.status = 404;
    out.reason = "Not Found (no tracking number " + dialed.value() + ")";
    out.rule = "unknown_number";
    out.trace.push_back("no tracking number " + dialed.value() + " in " + config_.source_file);
    return out;
  }
  const TrackingNumber& tn = it->second;
  // seed 000: a tracking number rings its receiving numbers together (direct forward).
  PlannedStep step;
  step.timeout_ms = tn.ring_timeout_ms;
  for (const auto& rn : tn.receiving_numbers) {
    step.targets.push_back(PlannedTarget{rn.uri, rn.number, {}});
  }
  out.steps.push_back(std::move(step));
  out.rule = "direct_forward";
  out.trace.push_back("tracking number " + tn.number + " forwards to " +
                      std::to_string(tn.receiving_numbers.size()) + " receiving number(s)");
  return out;
}

}  // namespace callmesh::router
