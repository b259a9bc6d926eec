// Seed 003 (003_7e7aa9d90d570bcd.txt, loops) at call time: a call whose path already holds the
// dialled number is refused with 482. The load-time checks are in check_loops.cpp.
#include "services/router/route_planner.h"

#include "services/router/phone_number.h"
#include "services/router/route_walk.h"

namespace callmesh::router {

// seed 003: a call that already passed through this number is looping between us and a line that
// forwards back; stop it instead of ringing forever.
bool RoutePlanner::rejectLoop(Walk& walk) const {
  RouteOutcome& out = walk.out;
  const std::vector<std::string>& path = walk.path();
  for (const auto& hop : path) {
    bool same = hop == walk.dialed;
    if (!same) {
      auto e164 = toE164(hop);
      same = e164.ok() && e164.value() == walk.dialed;
    }
    if (same) {
      setReject(out, 482, "Loop Detected (call already passed " + walk.dialed + ")",
                "loop_detected");
      out.trace.push_back("path already contains " + walk.dialed + ": loop (seed 003)");
      return true;
    }
  }
  if (!path.empty()) {
    out.trace.push_back("loop check: " + walk.dialed + " not in the call's path of " +
                        std::to_string(path.size()) + " hop(s)");
  }
  return false;
}

}  // namespace callmesh::router
