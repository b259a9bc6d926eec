#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "schemas/call.capnp.h"

namespace callmesh::ingress {

struct LegInfo {
  std::string uri;
  std::string number;
  std::string agent_id;
};

// What every event of one call carries.
struct CallIdentity {
  std::string call_id;
  std::string dialed;
  std::string caller;
  schema::CallKind kind = schema::CallKind::VOICE;
};

// How one rung leg ended (schema LegEnd).
struct LegEndInfo {
  int status = 0;
  bool ringing = false;
};

struct CallEndInfo {
  bool answered = false;
  LegInfo answered_by;
  schema::EndReason reason = schema::EndReason::FAILED;
  int status = 0;
  int64_t duration_ms = 0;
  int64_t talk_ms = 0;
  std::vector<LegInfo> rung_legs;
  std::string number;
  std::string rule;
  // For the call detail record (issue 20).
  std::vector<LegEndInfo> leg_ends;  // per rung_legs entry
  std::vector<std::string> trace;    // the router's decision trace
  std::string source_tag;
  std::string caller_zip;
  std::string recording_id;
  std::string project;          // outbound calls (seed 002)
  std::string outbound_callee;  // outbound calls: the outbound history's key
};

// Where the ingress reports a call's lifecycle: CallEventPublisher (acknowledged batches to
// agent-presence and notification) in the service, a recording fake in unit tests.
class CallEvents {
 public:
  virtual ~CallEvents() = default;
  // `rule`: the router rule that planned the call (CallEvent.rule, for the admins' live view).
  virtual void offered(const CallIdentity& call, const std::string& rule) = 0;
  virtual void legRinging(const CallIdentity& call, const LegInfo& leg) = 0;
  virtual void answered(const CallIdentity& call, const LegInfo& leg) = 0;
  virtual void legFailed(const CallIdentity& call, const LegInfo& leg, int status,
                         const std::string& reason) = 0;
  virtual void ended(const CallIdentity& call, const CallEndInfo& end) = 0;
  // Sends what has been collected since the last flush (no-op when nothing is waiting).
  virtual void flush() = 0;
  // Events collected but not yet sent (they go out at the next flush()).
  virtual size_t unsent() const = 0;
  // Events a receiver never acknowledged and that were given up.
  virtual uint64_t dropped() const = 0;
};

}  // namespace callmesh::ingress
