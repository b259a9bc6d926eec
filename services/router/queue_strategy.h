#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "services/router/agent_availability.h"
#include "services/router/routing_table.h"

namespace callmesh::router {

// Round-robin positions, one per queue. Mutable state kept outside the immutable RoutingConfig so
// a reload does not reset fairness. Owned by the router's loop thread; not thread-safe.
class QueueCursors {
 public:
  // The position for this call (0..size-1), then moves the queue's cursor on by one.
  size_t advance(const std::string& queue_id, size_t size);

 private:
  std::map<std::string, size_t> next_;
};

// The agents a queue rings for one call: groups rung one after another (one group for ring-all,
// one agent per group otherwise), plus why each agent was or was not included.
struct QueueRing {
  std::vector<std::vector<std::string>> groups;  // agent ids
  std::vector<std::string> trace;
};

// seed 000: ring-all, round-robin (rotating through the configured order, one more per call) and
// longest-idle (earliest idle_since first, ties in configured order), skipping agents that are not
// ringable now.
QueueRing planQueueRing(const Queue& queue, const std::map<std::string, Agent>& agents,
                        const AgentAvailability& presence, QueueCursors& cursors, int64_t now_ms);

}  // namespace callmesh::router
