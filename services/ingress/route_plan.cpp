#include "services/ingress/route_plan.h"

#include <algorithm>

#include "schemas/call.capnp.h"
#include "shared/codec/capnp_codec.h"

namespace callmesh::ingress {

Result<RoutePlan> decodeRoutePlan(const void* data, size_t size) {
  auto decoded = codec::decode<schema::RouteDecision>(data, size, "RouteDecision");
  if (!decoded.ok()) return decoded.error();
  auto d = decoded.value()->root();
  RoutePlan plan;
  plan.reusable_for_ms = d.getReusableForMs();
  plan.config_epoch = d.getConfigEpoch();
  for (auto line : d.getTrace()) {
    if (plan.trace.size() == RoutePlan::kMaxTraceLines) break;
    plan.trace.emplace_back(line.cStr(),
                            std::min<size_t>(line.size(), RoutePlan::kMaxTraceLineBytes));
  }
  if (d.isReject()) {
    auto r = d.getReject();
    plan.reject = true;
    plan.reject_status = r.getStatus();
    plan.reject_reason = r.getReason();
    return plan;
  }
  auto ring = d.getRing();
  for (auto step : ring.getSteps()) {
    PlanStep ps;
    ps.timeout_ms = step.getTimeoutMs() ? static_cast<int>(step.getTimeoutMs()) : 45000;
    for (auto t : step.getTargets()) {
      PlanTarget pt;
      pt.uri = t.getUri();
      pt.leg = LegInfo{pt.uri, t.getNumber(), t.getAgentId()};
      pt.extension_digits = t.getExtensionDigits();
      pt.caller_id_number = t.getCallerIdNumber();
      pt.whisper = t.getWhisper();
      pt.prevent_recording = t.getPreventRecording();
      if (!pt.uri.empty()) ps.targets.push_back(std::move(pt));
    }
    if (!ps.targets.empty()) plan.steps.push_back(std::move(ps));
  }
  plan.final_status = ring.getFinalStatus();
  plan.final_reason = ring.getFinalReason();
  plan.rule = ring.getRule();
  plan.number = ring.getNumber();
  plan.max_duration_s = static_cast<int>(ring.getMaxDurationS());
  plan.source_tag = ring.getSourceTag();
  plan.project = ring.getProject();
  plan.outbound_callee = ring.getOutboundCallee();
  return plan;
}

}  // namespace callmesh::ingress
