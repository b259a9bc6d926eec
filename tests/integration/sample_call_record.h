// A call record as the notification service writes one at a call's end, for the call-record
// integration tests: answered (200, caller hung up) or not (486, the outcome as the end reason).
#pragma once

#include <cstdint>
#include <string>

#include "services/notification/call_record.h"

namespace callmesh::notification::testing_records {

inline CallRecord sampleCallRecord(const std::string& id, int64_t ended_at_ms,
                                   const std::string& outcome,
                                   const std::string& number = "+15550100",
                                   const std::string& agent = "alice") {
  bool answered = outcome == "answered";
  CallRecord r;
  r.call_id = id;
  r.kind = "voice";
  r.number = number;
  r.caller = "+15557770001";
  r.ended_at_ms = ended_at_ms;
  r.outcome = outcome;
  r.end_reason = answered ? "caller_hangup" : outcome;
  r.legs.push_back(CallRecordLeg{"+15550199", agent, "sip:x", answered ? 200 : 486, true,
                                 answered ? "answered" : "busy"});
  return r;
}

}  // namespace callmesh::notification::testing_records
