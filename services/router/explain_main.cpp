// callmesh-explain: loads a routing.yaml and prints the ring plan and trace for one call, without
// any running service. Presence and the CRM are not consulted: every agent counts as available and
// every caller as unknown.
//
//   callmesh-explain routing.yaml --dialed N --caller N --at 2026-11-22T10:00:00Z [--zip Z]
//                    [--path N]...
#include <cstdio>
#include <string>
#include <vector>

#include "services/router/outcome_text.h"
#include "services/router/route_planner.h"
#include "services/router/time_zone.h"

using namespace callmesh;

namespace {
int usage() {
  std::fprintf(stderr,
               "usage: callmesh-explain ROUTING.yaml --dialed NUMBER [--caller NUMBER]\n"
               "         [--at 2026-11-22T10:00:00Z] [--zip ZIP] [--path NUMBER]...\n");
  return 2;
}
}  // namespace

int main(int argc, char** argv) {
  std::string file;
  router::CallQuery q;
  q.call_id = "explain";
  std::string at = "1970-01-01T00:00:00Z";
  bool have_at = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (arg == "--dialed" && (v = value())) {
      q.dialed = v;
    } else if (arg == "--caller" && (v = value())) {
      q.caller = v;
    } else if (arg == "--at" && (v = value())) {
      at = v;
      have_at = true;
    } else if (arg == "--zip" && (v = value())) {
      q.caller_zip = v;
    } else if (arg == "--path" && (v = value())) {
      q.path.emplace_back(v);
    } else if (!arg.empty() && arg[0] != '-' && file.empty()) {
      file = arg;
    } else {
      return usage();
    }
  }
  if (file.empty() || q.dialed.empty() || !have_at) return usage();
  auto when = router::parseRfc3339(at);
  if (!when.ok()) {
    std::fprintf(stderr, "--at: %s\n", when.error().describe().c_str());
    return 2;
  }
  q.received_at_ms = when.value();
  auto cfg = router::loadRoutingConfig(file);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.error().describe().c_str());
    return 1;
  }
  router::EveryoneAvailable presence;
  router::NoContacts contacts;
  router::QueueCursors cursors;
  router::RoutePlanner planner(cfg.value(), presence, contacts, cursors);
  std::fputs(router::describeOutcome(planner.decide(q)).c_str(), stdout);
  return 0;
}
