#pragma once

// Issue 16 (toll fraud): what an agent's outbound call must pass before it is placed, besides
// the device having authenticated (RouteRequest.authenticatedAgent): the project it names is the
// agent's own or one routing.yaml allows the agent, and the project's destination policy allows
// the number and the agent's pace. Pure; the per-agent attempt counts live in OutboundAttempts,
// outside the config, so a reload keeps them (like queue cursors).

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include "services/router/routing_table.h"

namespace callmesh::router {

// Why an outbound call was refused: the `reason` label of
// callmesh_router_outbound_refused_total (a fixed set, every value listed here).
inline constexpr const char* kOutboundRefusalReasons[] = {
    "auth_required",       "no_project",     "project_not_allowed",
    "country_not_allowed", "blocked_prefix", "rate_limited"};

// The E.164 country calling code of `e164` (44 for +4420...), 0 when libphonenumber cannot tell.
int countryCodeOf(const std::string& e164);

struct DestinationRefusal {
  const char* reason;  // one of kOutboundRefusalReasons
  std::string why;     // for the trace and the reason phrase
};
// Refused when the number's country is not allowed or it starts with a blocked prefix.
std::optional<DestinationRefusal> refuseDestination(const DestinationPolicy& policy,
                                                    const std::string& e164);

// Outbound attempts per agent in the last minute (a sliding window of time stamps). One router
// replica counts its own calls: with N replicas behind the ingress an agent may place up to N x
// the cap; size the cap for that. Bounded: one entry per agent who called out, each at most `cap`
// stamps.
class OutboundAttempts {
 public:
  // Counts the attempt and returns true when the agent made fewer than `cap` in the 60 s before
  // `now_ms`; false (not counted) otherwise. cap 0 = no cap.
  bool admit(const std::string& agent, int cap, int64_t now_ms);

 private:
  std::unordered_map<std::string, std::deque<int64_t>> recent_;
};

}  // namespace callmesh::router
