#include "services/router/queue_strategy.h"

#include <algorithm>

#include "services/router/ringable_agents.h"

namespace callmesh::router {

size_t QueueCursors::advance(const std::string& queue_id, size_t size) {
  if (size == 0) return 0;
  size_t& next = next_[queue_id];
  size_t now = next % size;
  next = (now + 1) % size;
  return now;
}

QueueRing planQueueRing(const Queue& queue, const std::map<std::string, Agent>& agents,
                        const AgentAvailability& presence, QueueCursors& cursors, int64_t now_ms) {
  QueueRing out;
  std::vector<std::string> order = queue.agent_ids;
  if (queue.strategy == QueueStrategy::RoundRobin && !order.empty()) {
    size_t start = cursors.advance(queue.id, order.size());
    std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(start), order.end());
    out.trace.push_back("queue " + queue.id + ": round-robin starts at " + order.front());
  }
  struct Ringable {
    std::string id;
    int64_t idle_since_ms;
  };
  std::vector<Ringable> ringable;
  for (const auto& id : order) {
    auto it = agents.find(id);
    if (it == agents.end()) {
      // The config loader rejects unknown agents; reaching here is a bug, so say so in the trace.
      out.trace.push_back("queue " + queue.id + ": agent " + id + " is not configured");
      continue;
    }
    AgentStatus status = presence.status(id);
    if (auto why = whyNotRingable(it->second, status, now_ms)) {
      out.trace.push_back("queue " + queue.id + ": skip " + *why);
      continue;
    }
    ringable.push_back({id, status.idle_since_ms});
  }
  if (queue.strategy == QueueStrategy::LongestIdle) {
    std::stable_sort(ringable.begin(), ringable.end(), [](const Ringable& a, const Ringable& b) {
      return a.idle_since_ms < b.idle_since_ms;
    });
  }
  if (queue.strategy == QueueStrategy::RingAll) {
    if (!ringable.empty()) {
      out.groups.emplace_back();
      for (const auto& r : ringable) out.groups.back().push_back(r.id);
    }
  } else {
    for (const auto& r : ringable) out.groups.push_back({r.id});
  }
  out.trace.push_back("queue " + queue.id + " (" + queueStrategyName(queue.strategy) +
                      "): " + std::to_string(ringable.size()) + " of " +
                      std::to_string(queue.agent_ids.size()) + " agents ringable");
  return out;
}

}  // namespace callmesh::router
