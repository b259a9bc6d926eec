// Seed 000 (000_246ae9c7ee9a1def.txt): the smart router that picks a receiving number by the
// caller's location.
#include "services/router/route_planner.h"

#include "services/router/geo_router.h"
#include "services/router/route_walk.h"

namespace callmesh::router {

// seed 000's smart router: the receiving number for the caller's ZIP, else area code, else the
// router's default destination.
void RoutePlanner::ringGeoRouter(const GeoRouter& geo, Walk& walk) const {
  GeoChoice choice = chooseByCallerLocation(geo, walk.callerZip(), walk.caller());
  walk.out.trace.push_back(choice.why);
  if (choice.matched) {
    ringAlone(config_.receiving_numbers.at(choice.receiving_number), kDefaultRingTimeoutMs,
              std::nullopt, walk);
  } else {
    ringDestination(geo.fallback, walk);
  }
}

}  // namespace callmesh::router
