// Seed 000 (000_246ae9c7ee9a1def.txt): scheduled routing (a receiving number's opening hours and
// where the call goes when closed) and tagging hours (the after-hours call time limit).
#include "services/router/route_planner.h"

#include <algorithm>

#include "services/router/route_walk.h"

namespace callmesh::router {

// seed 000: outside its schedule a receiving number dialled alone sends the call to `when_closed`
// instead of ringing. True when it did.
bool RoutePlanner::routeWhenClosed(const ReceivingNumber& rn, Walk& walk) const {
  if (!rn.schedule) return false;
  RouteOutcome& out = walk.out;
  const Schedule& schedule = config_.schedules.at(rn.schedule->schedule_id);
  Schedule::Check check = schedule.check(walk.receivedAtMs());
  out.trace.push_back("receiving number " + rn.number + ": " + check.why);
  if (check.open) return false;
  const Destination& when_closed = rn.schedule->when_closed;
  out.trace.push_back(
      "outside the schedule: " + std::string(destinationKindName(when_closed.kind)) +
      (when_closed.ref.empty() ? "" : " " + when_closed.ref));
  ringDestination(when_closed, walk);
  return true;
}

// seed 000: outside its tagging hours a receiving number's calls get the after-hours time limit.
void RoutePlanner::applyTaggingHours(const ReceivingNumber& rn, Walk& walk) const {
  if (!rn.tagging_hours) return;
  const Schedule& schedule = config_.schedules.at(rn.tagging_hours->schedule_id);
  Schedule::Check check = schedule.check(walk.receivedAtMs());
  walk.out.trace.push_back("receiving number " + rn.number + " tagging hours: " + check.why);
  int limit = rn.tagging_hours->after_hours_max_duration_s;
  if (!check.open && limit > 0) {
    int& current = walk.out.max_duration_s;
    current = current == 0 ? limit : std::min(current, limit);
    walk.out.trace.push_back("after hours: call limited to " + std::to_string(current) + " s");
  }
}

}  // namespace callmesh::router
