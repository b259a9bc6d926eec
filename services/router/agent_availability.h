#pragma once

#include <cstdint>
#include <string>

namespace callmesh::router {

// What presence says about an agent right now (seeds 000 queues, 004 blast alerts).
enum class AgentPresence { Available, Busy, Unavailable };

struct AgentStatus {
  AgentPresence presence = AgentPresence::Unavailable;
  int64_t idle_since_ms = 0;  // wall clock of the agent's last call end; orders longest-idle queues
};

// The seam to the agent-presence service. The planner asks it once per agent per decision, on the
// router's loop thread. Implementations decide what to answer when presence is unreachable
// (failing open, "available", keeps calls ringing someone) and must not block without a deadline.
class AgentAvailability {
 public:
  virtual ~AgentAvailability() = default;
  virtual AgentStatus status(const std::string& agent_id) const = 0;
};

// Every agent available and idle since the epoch (so longest-idle falls back to configuration
// order). callmesh-explain uses it when not given --redis; the router reads Redis
// (RedisAgentAvailability).
class EveryoneAvailable final : public AgentAvailability {
 public:
  AgentStatus status(const std::string&) const override { return {AgentPresence::Available, 0}; }
};

}  // namespace callmesh::router
