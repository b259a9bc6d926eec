#pragma once

#include <string>
#include <vector>

#include "services/ingress/call_events.h"
#include "services/ingress/call_state_machine.h"

namespace callmesh::ingress {

// CallEvents for unit tests: each event as one line of text ("offered <call-id>",
// "ringing <call-id> <leg uri>", "answered ...", "failed <call-id> <uri> <status>",
// "ended <call-id> <reason>").
class FakeCallEvents final : public CallEvents {
 public:
  void offered(const CallIdentity& call, const std::string& rule) override {
    seen.push_back("offered " + call.call_id);
    offered_rules.push_back(rule);
  }
  void legRinging(const CallIdentity& call, const LegInfo& leg) override {
    seen.push_back("ringing " + call.call_id + " " + leg.uri);
  }
  void answered(const CallIdentity& call, const LegInfo& leg) override {
    seen.push_back("answered " + call.call_id + " " + leg.uri);
  }
  void legFailed(const CallIdentity& call, const LegInfo& leg, int status,
                 const std::string&) override {
    seen.push_back("failed " + call.call_id + " " + leg.uri + " " + std::to_string(status));
  }
  void ended(const CallIdentity& call, const CallEndInfo& end) override {
    seen.push_back("ended " + call.call_id + " " + endReasonName(end.reason));
    ends.push_back(end);
  }
  void flush() override { ++flushes; }
  size_t unsent() const override { return 0; }
  uint64_t dropped() const override { return 0; }

  std::vector<std::string> seen;
  std::vector<std::string> offered_rules;  // the rule each offered event named
  std::vector<CallEndInfo> ends;
  int flushes = 0;
};

}  // namespace callmesh::ingress
