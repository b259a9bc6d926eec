#pragma once

#include <string>

#include "services/router/route_planner.h"

namespace callmesh::router {

// A human-readable ring plan and trace, for callmesh-explain and debug logs.
std::string describeOutcome(const RouteOutcome& out);

}  // namespace callmesh::router
