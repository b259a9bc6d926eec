#include "services/notification/call_record.h"

#include <algorithm>

#include "shared/codec/end_reason_names.h"

namespace callmesh::notification {

using nlohmann::json;

bool isCallOutcome(std::string_view outcome) {
  return std::find(std::begin(kCallOutcomes), std::end(kCallOutcomes), outcome) !=
         std::end(kCallOutcomes);
}

std::string_view endReasonText(schema::EndReason reason) {
  return codec::endReasonName(reason, "failed");
}

std::string_view outcomeOf(bool answered, schema::EndReason reason) {
  if (reason == schema::EndReason::DELIVERED) return "delivered";
  if (answered) return "answered";
  switch (reason) {
    case schema::EndReason::NO_ANSWER:
      return "no_answer";
    case schema::EndReason::BUSY:
      return "busy";
    case schema::EndReason::CALLER_CANCEL:
      return "abandoned";
    default:
      return "failed";
  }
}

std::string_view legOutcome(int status) {
  if (status == 0) return "pending";
  if (status >= 200 && status < 300) return "answered";
  if (status == 408 || status == 480) return "no_answer";
  if (status == 486 || status == 600) return "busy";
  if (status == 487) return "cancelled";
  if (status == 603) return "declined";
  return "failed";
}

CallRecord callRecordOf(schema::CallEvent::Reader ev) {
  auto end = ev.getEnded();
  CallRecord r;
  r.call_id = ev.getCallId();
  r.kind = ev.getKind() == schema::CallKind::TEXT ? "text" : "voice";
  r.dialed = ev.getDialed();
  r.caller = ev.getCaller();
  r.number = end.getNumber().size() ? std::string(end.getNumber()) : r.dialed;
  r.caller_zip = end.getCallerZip();
  r.ended_at_ms = ev.getAtMs();
  r.duration_ms = std::max<int64_t>(0, end.getDurationMs());
  r.talk_ms = std::max<int64_t>(0, end.getTalkMs());
  // The ingress measures both on its steady clock from offer and answer to the end: the wall
  // times are the end's less each.
  r.offered_at_ms = r.ended_at_ms - r.duration_ms;
  bool answered = end.getAnswered();
  if (answered && ev.getKind() == schema::CallKind::VOICE) {
    r.answered_at_ms = r.ended_at_ms - r.talk_ms;
  }
  if (answered) {
    r.answered_by_number = end.getAnsweredBy().getNumber();
    r.answered_by_agent = end.getAnsweredBy().getAgentId();
  }
  auto legs = end.getRungLegs();
  auto leg_ends = end.getLegEnds();
  for (unsigned i = 0; i < legs.size(); ++i) {
    CallRecordLeg leg;
    leg.number = legs[i].getNumber();
    leg.agent_id = legs[i].getAgentId();
    leg.uri = legs[i].getUri();
    if (i < leg_ends.size()) {
      leg.status = leg_ends[i].getStatus();
      leg.ringing = leg_ends[i].getRinging();
    }
    leg.outcome = legOutcome(leg.status);
    r.legs.push_back(std::move(leg));
  }
  r.end_reason = endReasonText(end.getReason());
  r.status = end.getStatus();
  r.outcome = outcomeOf(answered, end.getReason());
  r.rule = end.getRule();
  for (auto line : end.getTrace()) r.trace.emplace_back(line);
  r.source_tag = end.getSourceTag();
  r.recording_id = end.getRecordingId();
  for (auto file : end.getRecordings()) r.recordings.emplace_back(file);
  r.recording_segments = end.getRecordingSegments();
  r.project = end.getProject();
  r.outbound_callee = end.getOutboundCallee();
  return r;
}

bool isMissedCall(const CallRecord& r) {
  return r.kind == "voice" && r.outcome != "answered" && r.end_reason != "rejected" &&
         r.rule != "outbound_caller_id";
}

json callRecordJson(const CallRecord& r) {
  json legs = json::array();
  for (const auto& l : r.legs) {
    legs.push_back({{"number", l.number},
                    {"agent_id", l.agent_id},
                    {"uri", l.uri},
                    {"status", l.status},
                    {"ringing", l.ringing},
                    {"outcome", l.outcome}});
  }
  json out = {
      {"call_id", r.call_id},
      {"kind", r.kind},
      {"dialed", r.dialed},
      {"number", r.number},
      {"caller", r.caller},
      {"caller_zip", r.caller_zip},
      {"offered_at_ms", r.offered_at_ms},
      {"answered_at_ms", r.answered_at_ms},
      {"ended_at_ms", r.ended_at_ms},
      {"duration_ms", r.duration_ms},
      {"talk_ms", r.talk_ms},
      {"legs", legs},
      {"answered_by", {{"number", r.answered_by_number}, {"agent_id", r.answered_by_agent}}},
      {"end_reason", r.end_reason},
      {"status", r.status},
      {"outcome", r.outcome},
      {"rule", r.rule},
      {"trace", r.trace},
      {"source_tag", r.source_tag},
      {"recording_id", r.recording_id},
      {"recordings", r.recordings},
      {"recording_segments", r.recording_segments}};
  if (!r.project.empty()) out["project"] = r.project;
  return out;
}

namespace {

const char* const kCsvColumns[] = {"call_id",
                                   "kind",
                                   "dialed",
                                   "number",
                                   "caller",
                                   "caller_zip",
                                   "offered_at_ms",
                                   "answered_at_ms",
                                   "ended_at_ms",
                                   "duration_ms",
                                   "talk_ms",
                                   "answered_by_number",
                                   "answered_by_agent",
                                   "end_reason",
                                   "status",
                                   "outcome",
                                   "rule",
                                   "source_tag",
                                   "recording_id",
                                   "legs",
                                   "trace",
                                   "recordings",
                                   "recording_segments"};

// One RFC 4180 field. A text a spreadsheet would run as a formula (=, @, a tab or CR first, or
// + / - not followed by a digit) gets a leading apostrophe; a phone number like +15550100 does not.
std::string csvField(const std::string& v) {
  std::string text = v;
  if (!text.empty()) {
    char c = text[0];
    bool digit_next = text.size() > 1 && text[1] >= '0' && text[1] <= '9';
    if (c == '=' || c == '@' || c == '\t' || c == '\r' || ((c == '+' || c == '-') && !digit_next)) {
      text.insert(text.begin(), '\'');
    }
  }
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string textOf(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  return v.dump();
}

}  // namespace

std::string callRecordCsvHeader() {
  std::string out;
  for (const char* c : kCsvColumns) {
    if (!out.empty()) out += ',';
    out += c;
  }
  return out + "\r\n";
}

std::string callRecordCsvRow(const json& rec) {
  std::string legs;
  for (const auto& l : rec.value("legs", json::array())) {
    if (!legs.empty()) legs += " | ";
    legs += textOf(l.value("number", json())) + " " + textOf(l.value("agent_id", json())) + " " +
            textOf(l.value("outcome", json())) + " " + textOf(l.value("status", json()));
  }
  std::string trace;
  for (const auto& t : rec.value("trace", json::array())) {
    if (!trace.empty()) trace += " | ";
    trace += textOf(t);
  }
  std::string recordings;
  for (const auto& f : rec.value("recordings", json::array())) {
    if (!recordings.empty()) recordings += " | ";
    recordings += textOf(f);
  }
  json by = rec.value("answered_by", json::object());
  std::string out;
  bool first = true;
  for (const char* c : kCsvColumns) {
    std::string col = c;
    std::string v;
    if (col == "legs") {
      v = legs;
    } else if (col == "trace") {
      v = trace;
    } else if (col == "recordings") {
      v = recordings;
    } else if (col == "answered_by_number") {
      v = textOf(by.value("number", json()));
    } else if (col == "answered_by_agent") {
      v = textOf(by.value("agent_id", json()));
    } else {
      v = textOf(rec.value(col, json()));
    }
    if (!first) out += ',';
    first = false;
    out += csvField(v);
  }
  return out + "\r\n";
}

}  // namespace callmesh::notification
