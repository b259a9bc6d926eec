// callRecordText: a call record's stored JSON, written without building an nlohmann::json.
#include "services/notification/call_record.h"
#include "services/notification/json_text.h"

namespace callmesh::notification {

namespace {

void appendTexts(std::string& out, const std::vector<std::string>& texts) {
  out += '[';
  for (size_t i = 0; i < texts.size(); ++i) {
    if (i > 0) out += ',';
    appendJsonString(out, texts[i]);
  }
  out += ']';
}

}  // namespace

// The same bytes as callRecordJson(r).dump(-1, ' ', false, replace) (call_record_text_test.cpp
// holds them equal): keys in nlohmann's sorted order.
std::string callRecordText(const CallRecord& r) {
  std::string out;
  out.reserve(640 + 160 * r.legs.size());
  JsonObjectText o(out);
  o.integer("answered_at_ms", r.answered_at_ms);
  o.key("answered_by");
  JsonObjectText(out)
      .text("agent_id", r.answered_by_agent)
      .text("number", r.answered_by_number)
      .close();
  o.text("call_id", r.call_id)
      .text("caller", r.caller)
      .text("caller_zip", r.caller_zip)
      .text("dialed", r.dialed)
      .integer("duration_ms", r.duration_ms)
      .text("end_reason", r.end_reason)
      .integer("ended_at_ms", r.ended_at_ms)
      .text("kind", r.kind);
  o.key("legs");
  out += '[';
  for (size_t i = 0; i < r.legs.size(); ++i) {
    const auto& l = r.legs[i];
    if (i > 0) out += ',';
    JsonObjectText(out)
        .text("agent_id", l.agent_id)
        .text("number", l.number)
        .text("outcome", l.outcome)
        .boolean("ringing", l.ringing)
        .integer("status", l.status)
        .text("uri", l.uri)
        .close();
  }
  out += ']';
  o.text("number", r.number).integer("offered_at_ms", r.offered_at_ms).text("outcome", r.outcome);
  if (!r.project.empty()) o.text("project", r.project);
  o.text("recording_id", r.recording_id).integer("recording_segments", r.recording_segments);
  o.key("recordings");
  appendTexts(out, r.recordings);
  o.text("rule", r.rule)
      .text("source_tag", r.source_tag)
      .integer("status", r.status)
      .integer("talk_ms", r.talk_ms);
  o.key("trace");
  appendTexts(out, r.trace);
  o.close();
  return out;
}

}  // namespace callmesh::notification
