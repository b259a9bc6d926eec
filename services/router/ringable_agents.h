#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "services/router/agent_availability.h"
#include "services/router/routing_config.h"

namespace callmesh::router {

// Why an agent must not be rung now, or nullopt when they may be: no phone, presence says busy or
// unavailable, or outside their working hours in their own time zone (seeds 000 queues, 004 blast).
std::optional<std::string> whyNotRingable(const Agent& agent, const AgentStatus& status,
                                          int64_t now_ms);

}  // namespace callmesh::router
