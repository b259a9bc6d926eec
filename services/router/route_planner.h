#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/router/agent_availability.h"
#include "services/router/contact_directory.h"
#include "services/router/queue_strategy.h"
#include "services/router/routing_config.h"

namespace callmesh::router {

// What the router knows about a call when deciding (decoded from RouteRequest).
struct CallQuery {
  std::string call_id;
  std::string dialed;  // as received; normalised here
  std::string caller;
  std::string caller_zip;
  std::vector<std::string> path;  // our numbers the call already passed through (seed 003)
  int64_t received_at_ms = 0;     // the injected clock: schedules and hours read this, never "now"
};

// One phone to ring, with the per-leg options of seed 000.
struct PlannedTarget {
  std::string uri;
  std::string number;
  std::string agent_id;
  std::string extension_digits;  // 'w' = half-second pause, dial pause included
  std::string caller_id_number;  // empty = present the caller's own number
  std::string whisper;           // receiving number's whisper, else the tracking number's
  bool prevent_recording = false;
  std::string source_tag;  // the receiving number's source tag (RingPlan carries the first one)
};

struct PlannedStep {
  std::vector<PlannedTarget> targets;  // rung together
  int timeout_ms = 45000;
};

// The outcome: ring these steps in order, or reject with a status.
struct RouteOutcome {
  bool reject = false;
  int status = 0;  // when reject
  std::string reason;
  std::vector<PlannedStep> steps;
  int final_status = 0;  // sent to the caller when every step fails; 0 = relay the best response
  std::string final_reason;
  int max_duration_s = 0;  // call time limit (seed 000 after-hours limit); 0 = none
  std::string source_tag;  // seed 000 receiving number source tag / seed 004 company source
  std::vector<std::string> timeline_contact_ids;  // seed 004: contacts whose timeline records it
  std::string rule;                // which rule produced it (bounded set: a metrics label)
  std::string number;              // the configured number the call matched
  std::vector<std::string> trace;  // every rule considered and why it matched or not
};

// Pure routing logic over a RoutingConfig snapshot. Presence and the CRM are asked through
// interfaces; round-robin positions live in `cursors`. All references must outlive the planner,
// which is used on one thread (the router's loop).
class RoutePlanner {
 public:
  RoutePlanner(const RoutingConfig& config, const AgentAvailability& presence,
               const ContactDirectory& contacts, QueueCursors& cursors)
      : config_(config), presence_(presence), contacts_(contacts), cursors_(cursors) {}

  RouteOutcome decide(const CallQuery& call) const;

 private:
  struct Walk;

  void planTrackingNumber(const TrackingNumber& tn, Walk& walk) const;
  void planCompanyNumber(const CompanyNumber& company, Walk& walk) const;
  void planCrmNumber(const CrmNumber& crm, Walk& walk) const;

  void ringDestination(const Destination& d, Walk& walk) const;
  void ringAlone(const ReceivingNumber& rn, int timeout_ms,
                 const std::optional<Destination>& otherwise, Walk& walk) const;
  void ringQueue(const Queue& queue, Walk& walk) const;
  bool ringUnknownCallerRoute(const UnknownCallerRoute& route, int timeout_ms, Walk& walk) const;
  bool ringAgent(const std::string& agent_id, int timeout_ms, Walk& walk) const;
  PlannedTarget target(const ReceivingNumber& rn, bool alone, Walk& walk) const;
  void applyTaggingHours(const ReceivingNumber& rn, Walk& walk) const;
  std::vector<Contact> knownContacts(Walk& walk) const;
  bool isInboundNumber(const std::string& text) const;  // a tracking, company or CRM number

  const RoutingConfig& config_;
  const AgentAvailability& presence_;
  const ContactDirectory& contacts_;
  QueueCursors& cursors_;
};

}  // namespace callmesh::router
