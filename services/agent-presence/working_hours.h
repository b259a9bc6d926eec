#pragma once

#include <cstdint>

#include "shared/config/cluster_config.h"

namespace callmesh::agent_presence {

// Is `utc_ms` inside the agent's configured working hours (agent_presence.agents.<id>)?
// No ranges = always working. Ranges are weekly, in the agent's fixed UTC offset; `to` is
// exclusive and 24:00 means the end of the day.
bool inWorkingHours(const config::AgentHours& hours, int64_t utc_ms);

}  // namespace callmesh::agent_presence
