#include "services/router/outcome_text.h"

namespace callmesh::router {

std::string describeOutcome(const RouteOutcome& out) {
  std::string s;
  s += "number: " + out.number + "\nrule:   " + out.rule + "\n";
  if (out.reject) {
    s += "reject: " + std::to_string(out.status) + " " + out.reason + "\n";
  } else {
    for (size_t i = 0; i < out.steps.size(); ++i) {
      const PlannedStep& step = out.steps[i];
      s += "step " + std::to_string(i + 1) + " (ring " + std::to_string(step.timeout_ms / 1000) +
           " s):\n";
      for (const auto& t : step.targets) {
        s += "  - " + t.uri;
        if (!t.number.empty()) s += "  number=" + t.number;
        if (!t.agent_id.empty()) s += "  agent=" + t.agent_id;
        if (!t.extension_digits.empty()) s += "  extension=" + t.extension_digits;
        if (!t.caller_id_number.empty()) s += "  caller_id=" + t.caller_id_number;
        if (!t.whisper.empty()) s += "  whisper=" + t.whisper;
        if (t.prevent_recording) s += "  no-recording";
        s += "\n";
      }
    }
    if (out.final_status == 0) {
      s += "then:   the best answer the phones gave (relayed as is)\n";
    } else {
      s += "then:   " + std::to_string(out.final_status) + " " + out.final_reason + "\n";
    }
    if (out.max_duration_s > 0) s += "limit:  " + std::to_string(out.max_duration_s) + " s\n";
    if (!out.source_tag.empty()) s += "source: " + out.source_tag + "\n";
  }
  if (!out.timeline_contact_ids.empty()) {
    s += "timeline:";
    for (const auto& id : out.timeline_contact_ids) s += " " + id;
    s += "\n";
  }
  s += "trace:\n";
  for (const auto& t : out.trace) s += "  " + t + "\n";
  return s;
}

}  // namespace callmesh::router
