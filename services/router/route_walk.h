#pragma once

// The planner's per-call state, shared by the plan_*.cpp files that each hold one seed's rules.
// Internal to the planner: only route_planner.cpp and plan_*.cpp include it.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "services/router/phone_number.h"
#include "services/router/route_planner.h"

namespace callmesh::router {

inline constexpr int kDefaultRingTimeoutMs = 45000;  // seed 000

inline void setReject(RouteOutcome& out, int status, std::string reason, std::string rule) {
  out.reject = true;
  out.status = status;
  out.reason = std::move(reason);
  out.rule = std::move(rule);
  out.steps.clear();
}

// One agent's phone as a ring target (queues, blasts, an agent destination).
inline PlannedTarget agentTarget(const Agent& a, std::string whisper) {
  PlannedTarget t;
  t.uri = a.uri;
  t.number = a.number;
  t.agent_id = a.id;
  t.whisper = std::move(whisper);
  return t;
}

// Per-call state while the planner walks the routing chain.
struct RoutePlanner::Walk {
  Walk(const CallQuery& c, RouteOutcome& o, std::string d)
      : out(o), dialed(std::move(d)), call_(c) {}

  RouteOutcome& out;
  std::string dialed;   // E.164
  std::string whisper;  // the tracking number's whisper, overridden per receiving number
  int depth = 0;
  bool nobody_ringable = false;  // the last group to ring had nobody available

  // The call's own facts. Every read marks the outcome as this call's alone (not reusable by the
  // ingress for the next call to the same number), so a rule that consults the caller, the
  // clock, presence, the CRM or a queue's rotation can never be replayed for someone else:
  // each of those lookups needs one of these facts first.
  const std::string& callerText() { return use(call_.caller); }
  const std::string& callerZip() { return use(call_.caller_zip); }
  int64_t receivedAtMs() { return use(call_.received_at_ms); }
  const std::string& project() { return use(call_.project); }
  const std::string& lastOutcome() { return use(call_.last_outcome); }
  const std::string& authenticatedAgent() { return use(call_.authenticated_agent); }
  bool requireAgentAuth() const { return call_.require_agent_auth; }
  // The caller's E.164, empty when it does not parse. Parsed on first use: only contact lookups
  // and geo routers need it, and libphonenumber is most of a decision's time (tools/bench).
  const std::string& caller() {
    if (!caller_parsed_) {
      caller_parsed_ = true;
      if (auto e164 = toE164(callerText()); e164.ok()) caller_ = std::move(e164.value());
    }
    out.depends_on_call = true;
    return caller_;
  }
  // The path the call came by (seed 003). Read only when it is not empty: a call with a path is
  // decided for itself, since the next call to the number may come by another path.
  const std::vector<std::string>& path() {
    if (!call_.path.empty()) out.depends_on_call = true;
    return call_.path;
  }

 private:
  template <typename T>
  const T& use(const T& fact) {
    out.depends_on_call = true;
    return fact;
  }

  const CallQuery& call_;
  std::string caller_;
  bool caller_parsed_ = false;
};

}  // namespace callmesh::router
