// Seed 000 (000_246ae9c7ee9a1def.txt): no-answer routing. Where a call goes next (a receiving
// number, voice menu, virtual agent, queue, geo router, agent, or hang up), chained to any depth.
#include "services/router/route_planner.h"

#include "services/router/route_walk.h"
#include "shared/base/bug.h"

namespace callmesh::router {

namespace {
// Routing chains are acyclic (checked at load), so this only guards against a loader bug.
constexpr int kMaxChainDepth = 32;
}  // namespace

void RoutePlanner::ringDestination(const Destination& d, Walk& walk) const {
  RouteOutcome& out = walk.out;
  if (++walk.depth > kMaxChainDepth) {
    CM_BUG(true, "routing chain deeper than kMaxChainDepth; loop check missed a cycle");
    out.trace.push_back("routing chain too deep; stopped");
    return;
  }
  switch (d.kind) {
    case Destination::Kind::Hangup:
      out.trace.push_back("hang up (busy)");
      return;
    case Destination::Kind::ReceivingNumber:
      ringAlone(config_.receiving_numbers.at(d.ref), kDefaultRingTimeoutMs, std::nullopt, walk);
      return;
    case Destination::Kind::VoiceMenu:
    case Destination::Kind::VirtualAgent: {
      const auto& apps =
          d.kind == Destination::Kind::VoiceMenu ? config_.voice_menus : config_.virtual_agents;
      const MediaApplication& app = apps.at(d.ref);
      PlannedTarget t;
      t.uri = app.uri;
      out.steps.push_back(PlannedStep{{t}, kDefaultRingTimeoutMs});
      out.trace.push_back(std::string("hand the call to ") + destinationKindName(d.kind) + " " +
                          app.id + " at " + app.uri);
      return;
    }
    case Destination::Kind::Queue:
      ringQueue(config_.queues.at(d.ref), walk);
      return;
    case Destination::Kind::GeoRouter:
      ringGeoRouter(config_.geo_routers.at(d.ref), walk);
      return;
    case Destination::Kind::Agent:
      ringAgent(d.ref, kDefaultRingTimeoutMs, walk);
      return;
  }
}

bool RoutePlanner::ringAgent(const std::string& agent_id, int timeout_ms, Walk& walk) const {
  auto it = config_.agents.find(agent_id);
  if (it == config_.agents.end() || !it->second.hasPhone()) {
    walk.out.trace.push_back("agent " + agent_id + " is not configured with a phone");
    return false;
  }
  const Agent& a = it->second;
  walk.out.steps.push_back(PlannedStep{{agentTarget(a, walk.whisper)}, timeout_ms});
  walk.out.trace.push_back("ring agent " + a.id + " at " + a.uri);
  return true;
}

}  // namespace callmesh::router
