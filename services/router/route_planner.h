#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "services/router/routing_config.h"

namespace callmesh::router {

// What the router knows about a call when deciding (decoded from RouteRequest).
struct CallQuery {
  std::string call_id;
  std::string dialed;  // as received; normalised here
  std::string caller;
  std::string caller_zip;
  std::vector<std::string> path;
  int64_t received_at_ms = 0;
};

struct PlannedTarget {
  std::string uri;
  std::string number;
  std::string agent_id;
};

struct PlannedStep {
  std::vector<PlannedTarget> targets;  // rung together
  int timeout_ms = 45000;
};

// The outcome: ring these steps in order, or reject with a status.
struct RouteOutcome {
  bool reject = false;
  int status = 0;  // when reject
  std::string reason;
  std::vector<PlannedStep> steps;
  int final_status = 0;  // 0 = relay the best branch response (RFC 3261 16.7)
  std::string final_reason;
  std::string rule;    // which rule produced it
  std::string number;  // the configured number the call matched
  std::vector<std::string> trace;
};

// Pure routing logic over a RoutingConfig snapshot.
class RoutePlanner {
 public:
  explicit RoutePlanner(const RoutingConfig& config) : config_(config) {}
  RouteOutcome decide(const CallQuery& call) const;

 private:
  const RoutingConfig& config_;
};

}  // namespace callmesh::router
