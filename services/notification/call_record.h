#pragma once

// The call detail record (issue 20): what an operator asks about a call once it is over, built
// from the ingress's `ended` event alone (no Redis, no clock), so plain unit tests drive it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "schemas/call.capnp.h"

namespace callmesh::notification {

// One leg the call rang and how it ended.
struct CallRecordLeg {
  std::string number;    // receiving number, E.164
  std::string agent_id;  // the agent at that phone, "" when none
  std::string uri;
  int status = 0;        // schema LegEnd.status (200 answered, 408 rang out, 487 cancelled, ...)
  bool ringing = false;  // it sent 180/183
  std::string outcome;   // legOutcome(status)
};

struct CallRecord {
  std::string call_id;
  std::string kind;    // "voice" or "text"
  std::string dialed;  // what the caller dialled
  std::string number;  // the configured number the call was for (tracking/company)
  std::string caller;
  std::string caller_zip;
  int64_t offered_at_ms = 0;   // wall clock (the ingress's), ms since the epoch
  int64_t answered_at_ms = 0;  // 0 when not answered
  int64_t ended_at_ms = 0;
  int64_t duration_ms = 0;
  int64_t talk_ms = 0;
  std::vector<CallRecordLeg> legs;
  std::string answered_by_number;
  std::string answered_by_agent;
  std::string end_reason;  // endReasonText()
  int status = 0;          // final SIP status the caller got
  std::string outcome;     // outcomeOf(): a bounded set, the outcome index and the webhook event
  std::string rule;
  std::vector<std::string> trace;
  std::string source_tag;
  std::string recording_id;
  // rtpengine's recording (issue 19): the files the ingress was told of and the segments
  // recorded (a start after a stop makes a new file beside the first; see schemas/call.capnp).
  std::vector<std::string> recordings;
  int recording_segments = 0;
  std::string project;          // outbound calls (seed 002)
  std::string outbound_callee;  // outbound calls: the outbound history's key
};

// Every outcome a record can have: the `outcome` filter accepts these only.
inline constexpr std::string_view kCallOutcomes[] = {"answered",  "no_answer", "busy",
                                                     "abandoned", "failed",    "delivered"};
bool isCallOutcome(std::string_view outcome);

std::string_view endReasonText(schema::EndReason reason);
// answered (also a call ended by its time limit), no_answer, busy, abandoned (the caller gave up
// before an answer), failed (anything else unanswered), delivered (a text its target accepted).
std::string_view outcomeOf(bool answered, schema::EndReason reason);
// answered, no_answer (408), busy (486/600), cancelled (487), declined (603), failed, pending (0).
std::string_view legOutcome(int status);

// The record of an `ended` CallEvent (the caller checks ev.isEnded()).
CallRecord callRecordOf(schema::CallEvent::Reader ev);
// True for the ends that are missed calls (webhook call.missed): an inbound voice call that rang
// and nobody answered (not an agent's own outbound call).
bool isMissedCall(const CallRecord& r);

nlohmann::json callRecordJson(const CallRecord& r);
// The same record as JSON text, the bytes callRecordJson(r).dump(-1, ' ', false, replace) gives,
// written directly (call_record_text.cpp): what the store keeps and webhooks carry, per call.
std::string callRecordText(const CallRecord& r);

// CSV (RFC 4180) of stored records (callRecordJson form): one header line, one line per record;
// legs and trace are joined with " | " in one field each.
std::string callRecordCsvHeader();
std::string callRecordCsvRow(const nlohmann::json& record);

}  // namespace callmesh::notification
