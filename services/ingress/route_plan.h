#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "services/ingress/call_events.h"
#include "shared/base/result.h"

namespace callmesh::ingress {

// One ring target as the router decided it, with what the media gateway must do on that leg.
struct PlanTarget {
  std::string uri;
  LegInfo leg;
  std::string extension_digits;  // dialled after connect; `w` = half-second pause (seed 000)
  std::string caller_id_number;  // presented as P-Asserted-Identity; empty = the caller's own
  std::string whisper;
  bool prevent_recording = false;
};

struct PlanStep {
  std::vector<PlanTarget> targets;
  int timeout_ms = 45000;
};

// A RouteDecision as the ingress acts on it: ring these steps, or reject.
struct RoutePlan {
  bool reject = false;
  int reject_status = 0;
  std::string reject_reason;
  std::vector<PlanStep> steps;  // targets without a URI are left out; empty steps too
  int final_status = 0;         // router's choice when every step fails (0 = best response)
  std::string final_reason;
  std::string rule;
  std::string number;  // configured number the router matched
  int max_duration_s = 0;
  std::string source_tag;
  std::string project;          // outbound calls: the project (seed 002)
  std::string outbound_callee;  // outbound calls: the outbound history's key
  // The router's decision trace, for the call detail record: at most kMaxTraceLines lines of at
  // most kMaxTraceLineBytes each (a decision from a misbehaving router cannot grow every event).
  std::vector<std::string> trace;
  static constexpr size_t kMaxTraceLines = 64;
  static constexpr size_t kMaxTraceLineBytes = 512;
  // May be given to later calls to the same dialled text for this long (0 = this call only),
  // while the router still announces `config_epoch` (RouteCache).
  uint32_t reusable_for_ms = 0;
  uint64_t config_epoch = 0;
};

// Decodes a RouteDecision frame; errors name what was wrong.
Result<RoutePlan> decodeRoutePlan(const void* data, size_t size);

}  // namespace callmesh::ingress
