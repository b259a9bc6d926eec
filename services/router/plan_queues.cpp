// Seed 000 (000_246ae9c7ee9a1def.txt): queues ring their agents by a strategy (ring all, round
// robin, longest idle), skipping those presence says cannot answer.
#include "services/router/route_planner.h"

#include "services/router/route_walk.h"

namespace callmesh::router {

void RoutePlanner::ringQueue(const Queue& queue, Walk& walk) const {
  RouteOutcome& out = walk.out;
  QueueRing ring = planQueueRing(queue, config_.agents, presence_, cursors_, walk.receivedAtMs());
  out.trace.insert(out.trace.end(), ring.trace.begin(), ring.trace.end());
  for (const auto& group : ring.groups) {
    PlannedStep step{{}, queue.ring_timeout_ms};
    for (const auto& id : group) {
      step.targets.push_back(agentTarget(config_.agents.at(id), walk.whisper));
    }
    out.steps.push_back(std::move(step));
  }
  walk.nobody_ringable = ring.groups.empty();
  if (queue.no_answer) {
    out.trace.push_back("queue " + queue.id + " no-answer routing: " +
                        destinationKindName(queue.no_answer->kind) + " " + queue.no_answer->ref);
    ringDestination(*queue.no_answer, walk);
  } else {
    out.trace.push_back("queue " + queue.id + " no answer: hang up (busy)");
  }
}

}  // namespace callmesh::router
