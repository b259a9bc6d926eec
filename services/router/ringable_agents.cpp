#include "services/router/ringable_agents.h"

namespace callmesh::router {

std::optional<std::string> whyNotRingable(const Agent& agent, const AgentStatus& status,
                                          int64_t now_ms) {
  if (!agent.hasPhone()) return "agent " + agent.id + " has no phone";
  if (status.presence == AgentPresence::Busy) return "agent " + agent.id + " is busy";
  if (status.presence == AgentPresence::Unavailable) return "agent " + agent.id + " is unavailable";
  if (agent.working_hours && agent.zone) {
    LocalTime local = agent.zone->toLocal(now_ms);
    if (!agent.working_hours->contains(local)) {
      return "agent " + agent.id + " is outside working hours (" + local.describe() + " " +
             agent.zone->name() + ")";
    }
  }
  return std::nullopt;
}

}  // namespace callmesh::router
