#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/router/agent_availability.h"
#include "services/router/contact_directory.h"
#include "services/router/outbound_history.h"
#include "services/router/outbound_policy.h"
#include "services/router/queue_strategy.h"
#include "services/router/random_source.h"
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
  // Outbound calls (seed 002), from the agent's device: the project the call is for ("" = the
  // agent's outbound_project) and the outcome of the project's previous call to the callee ("" =
  // the one recorded in the outbound history).
  std::string project;
  std::string last_outcome;
  // Issue 16: the agent the device authenticated as (SIP digest at the ingress), the only
  // identity an outbound call is placed for when set; and whether an agent's outbound call
  // without one is refused (407). The router service sets it from RouteRequest (required unless
  // the ingress runs with agent_auth: off); false here keeps the planner's own tests about
  // routing alone.
  std::string authenticated_agent;
  bool require_agent_auth = false;
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
  std::string caller_id_source;    // outbound calls: how the caller ID was chosen (metrics label)
  std::string outbound_refusal;    // outbound calls refused: kOutboundRefusalReasons (a label)
  std::string rule;                // which rule produced it (bounded set: a metrics label)
  std::string number;              // the configured number the call matched
  std::string project;             // outbound calls: the project (seed 002)
  std::string outbound_callee;     // outbound calls: the callee, the outbound history's key
  std::vector<std::string> trace;  // every rule considered and why it matched or not
  // The decision read something of this call beyond the number dialled (caller, ZIP, time, path,
  // presence, CRM, outbound history, a queue's rotation). When false, every call to the same
  // dialled text with an empty path gets this same outcome under the same config, so the ingress
  // may reuse it (RouteDecision.reusableForMs).
  bool depends_on_call = false;
};

// Pure routing logic over a RoutingConfig snapshot. Presence, the CRM and the outbound history are
// asked through interfaces; round-robin positions live in `cursors`; random caller IDs come from
// `random`. All references must outlive the planner, which is used on one thread (the router's
// loop). An outbound call's caller ID is recorded in `outbound` as it is decided.
class RoutePlanner {
 public:
  // `attempts` counts agents' outbound attempts for the projects' per-minute caps; null = no
  // cap is applied (callmesh-explain, which must not count).
  RoutePlanner(const RoutingConfig& config, const AgentAvailability& presence,
               const ContactDirectory& contacts, QueueCursors& cursors, OutboundHistory& outbound,
               RandomSource& random, OutboundAttempts* attempts = nullptr)
      : config_(config),
        presence_(presence),
        contacts_(contacts),
        cursors_(cursors),
        outbound_(outbound),
        random_(random),
        attempts_(attempts) {}

  RouteOutcome decide(const CallQuery& call) const;

 private:
  struct Walk;  // route_walk.h: every read of a call fact marks the outcome depends_on_call

  // Each seed's rules live in one file, named for them (the article is cited at its top):
  // seed 000, tracking and receiving numbers: plan_tracking_numbers.cpp
  void planTrackingNumber(const TrackingNumber& tn, Walk& walk) const;
  void ringAlone(const ReceivingNumber& rn, int timeout_ms,
                 const std::optional<Destination>& otherwise, Walk& walk) const;
  PlannedTarget target(const ReceivingNumber& rn, bool alone, Walk& walk) const;
  // seed 000, schedules and tagging hours: plan_schedules.cpp
  bool routeWhenClosed(const ReceivingNumber& rn, Walk& walk) const;
  void applyTaggingHours(const ReceivingNumber& rn, Walk& walk) const;
  // seed 000, no-answer chains: plan_no_answer_chains.cpp
  void ringDestination(const Destination& d, Walk& walk) const;
  bool ringAgent(const std::string& agent_id, int timeout_ms, Walk& walk) const;
  // seed 000, geo routers: plan_geo_routers.cpp
  void ringGeoRouter(const GeoRouter& geo, Walk& walk) const;
  // seed 000, queues: plan_queues.cpp
  void ringQueue(const Queue& queue, Walk& walk) const;
  // seed 001, CRM chain: plan_crm_chain.cpp
  void planCrmNumber(const CrmNumber& crm, Walk& walk) const;
  // seed 002, outbound caller ID: plan_outbound_caller_id.cpp. False when the caller is no agent.
  bool planOutbound(Walk& walk) const;
  const Agent* callingAgent(Walk& walk) const;
  // issue 16: authentication, the project the agent may name, the destination policy and the
  // per-minute cap (plan_outbound_policy.cpp). Null: refused (the outcome says why).
  const Agent* authenticatedCaller(Walk& walk) const;
  const OutboundProject* allowedProject(const Agent& agent, Walk& walk) const;
  // seed 003, loops: plan_loops.cpp. True when the call was rejected as a loop.
  bool rejectLoop(Walk& walk) const;
  // seed 004, company numbers: plan_company_numbers.cpp
  void planCompanyNumber(const CompanyNumber& company, Walk& walk) const;
  bool ringUnknownCallerRoute(const UnknownCallerRoute& route, int timeout_ms, Walk& walk) const;

  // Shared by seeds 001 and 004 (route_planner.cpp).
  std::vector<Contact> knownContacts(Walk& walk) const;
  bool isInboundNumber(const std::string& text) const;  // a tracking, company or CRM number

  const RoutingConfig& config_;
  const AgentAvailability& presence_;
  const ContactDirectory& contacts_;
  QueueCursors& cursors_;
  OutboundHistory& outbound_;
  RandomSource& random_;
  OutboundAttempts* attempts_;
};

}  // namespace callmesh::router
