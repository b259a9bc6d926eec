#include "services/router/route_planner.h"

#include <algorithm>

#include "services/router/company_number_rules.h"
#include "services/router/geo_router.h"
#include "services/router/outbound_caller_id.h"
#include "services/router/phone_number.h"
#include "services/router/ringable_agents.h"
#include "shared/base/bug.h"

namespace callmesh::router {

namespace {
constexpr int kDefaultRingTimeoutMs = 45000;  // seed 000
// Routing chains are acyclic (checked at load), so this only guards against a loader bug.
constexpr int kMaxChainDepth = 32;

void setReject(RouteOutcome& out, int status, std::string reason, std::string rule) {
  out.reject = true;
  out.status = status;
  out.reason = std::move(reason);
  out.rule = std::move(rule);
  out.steps.clear();
}
}  // namespace

// Per-call state while the planner walks the routing chain.
struct RoutePlanner::Walk {
  Walk(const CallQuery& c, RouteOutcome& o, std::string d)
      : out(o), dialed(std::move(d)), call_(c) {}

  RouteOutcome& out;
  std::string dialed;   // E.164
  std::string whisper;  // the tracking number's whisper, overridden per receiving number
  int depth = 0;
  bool nobody_ringable = false;  // the last group to ring had nobody available

  // The call's own facts. Every read marks the outcome as this call's alone (not reusable by the
  // ingress for the next call to the same number), so a rule that consults the caller, the
  // clock, presence, the CRM or a queue's rotation can never be replayed for someone else:
  // each of those lookups needs one of these facts first.
  const std::string& callerText() { return use(call_.caller); }
  const std::string& callerZip() { return use(call_.caller_zip); }
  int64_t receivedAtMs() { return use(call_.received_at_ms); }
  const std::string& project() { return use(call_.project); }
  const std::string& lastOutcome() { return use(call_.last_outcome); }
  // The caller's E.164, empty when it does not parse. Parsed on first use: only contact lookups
  // and geo routers need it, and libphonenumber is most of a decision's time (tools/bench).
  const std::string& caller() {
    if (!caller_parsed_) {
      caller_parsed_ = true;
      if (auto e164 = toE164(callerText()); e164.ok()) caller_ = std::move(e164.value());
    }
    out.depends_on_call = true;
    return caller_;
  }

 private:
  template <typename T>
  const T& use(const T& fact) {
    out.depends_on_call = true;
    return fact;
  }

  const CallQuery& call_;
  std::string caller_;
  bool caller_parsed_ = false;
};

bool RoutePlanner::isInboundNumber(const std::string& text) const {
  return config_.tracking_numbers.count(text) || config_.company_numbers.count(text) ||
         config_.crm_numbers.count(text);
}

RouteOutcome RoutePlanner::decide(const CallQuery& call) const {
  RouteOutcome out;
  // Gateways send E.164. Text that is already one of our numbers is its own normal form
  // (toE164 returns its own output unchanged), so libphonenumber is skipped for it.
  Result<std::string> dialed =
      isInboundNumber(call.dialed) ? Result<std::string>(call.dialed) : toE164(call.dialed);
  if (!dialed.ok()) {
    setReject(out, 404, "Not Found (dialed number does not parse)", "unparseable");
    out.trace.push_back("dialed '" + call.dialed + "': " + dialed.error().message);
    return out;
  }
  out.number = dialed.value();
  Walk walk(call, out, dialed.value());

  // seed 003: a call that already passed through this number is looping between us and a line
  // that forwards back; stop it instead of ringing forever. A call with a path is decided for
  // itself: the next call to the number may come by another path.
  if (!call.path.empty()) out.depends_on_call = true;
  for (const auto& hop : call.path) {
    bool same = hop == walk.dialed;
    if (!same) {
      auto e164 = toE164(hop);
      same = e164.ok() && e164.value() == walk.dialed;
    }
    if (same) {
      setReject(out, 482, "Loop Detected (call already passed " + walk.dialed + ")",
                "loop_detected");
      out.trace.push_back("path already contains " + walk.dialed + ": loop (seed 003)");
      return out;
    }
  }
  if (!call.path.empty()) {
    out.trace.push_back("loop check: " + walk.dialed + " not in the call's path of " +
                        std::to_string(call.path.size()) + " hop(s)");
  }

  if (auto it = config_.tracking_numbers.find(walk.dialed); it != config_.tracking_numbers.end()) {
    planTrackingNumber(it->second, walk);
  } else if (auto co = config_.company_numbers.find(walk.dialed);
             co != config_.company_numbers.end()) {
    planCompanyNumber(co->second, walk);
  } else if (auto crm = config_.crm_numbers.find(walk.dialed); crm != config_.crm_numbers.end()) {
    planCrmNumber(crm->second, walk);
  } else if (planOutbound(walk)) {
    // One step to the callee; every failure is relayed to the agent as the callee gave it.
    return out;
  } else {
    setReject(out, 404, "Not Found (no tracking number " + walk.dialed + ")", "unknown_number");
    out.trace.push_back("no tracking, company or CRM number " + walk.dialed + " in " +
                        config_.source_file);
    return out;
  }
  if (out.reject) return out;
  if (out.steps.empty()) {
    if (walk.nobody_ringable) {
      setReject(out, 480, "Temporarily Unavailable (nobody available to ring)", out.rule);
    } else {
      setReject(out, 486, "Busy Here", out.rule);
    }
    out.trace.push_back("nothing to ring: rejected with " + std::to_string(out.status));
    return out;
  }
  // seed 000: when every step fails the default no-answer routing is "hangup / busy signal".
  if (out.final_status == 0) {
    out.final_status = 486;
    out.final_reason = "Busy Here";
  }
  for (const auto& step : out.steps) {
    for (const auto& t : step.targets) {
      if (out.source_tag.empty() && !t.source_tag.empty()) out.source_tag = t.source_tag;
    }
  }
  return out;
}

void RoutePlanner::planTrackingNumber(const TrackingNumber& tn, Walk& walk) const {
  RouteOutcome& out = walk.out;
  walk.whisper = tn.whisper;
  if (tn.route) {
    out.rule = std::string("route_") + destinationKindName(tn.route->kind);
    std::replace(out.rule.begin(), out.rule.end(), ' ', '_');
    out.trace.push_back("tracking number " + tn.number + " routes to " +
                        destinationKindName(tn.route->kind) + " " + tn.route->ref);
    ringDestination(*tn.route, walk);
    return;
  }
  // seed 000: schedules, no-answer routing and the caller-ID rule of a receiving number apply
  // only when the tracking number forwards to that number alone.
  if (tn.receiving_numbers.size() == 1) {
    out.rule = "direct_forward";
    out.trace.push_back("tracking number " + tn.number + " forwards to 1 receiving number");
    ringAlone(config_.receiving_numbers.at(tn.receiving_numbers.front()), tn.ring_timeout_ms,
              tn.no_answer, walk);
    return;
  }
  bool together = tn.ring_order == RingOrder::Together;
  out.rule = together ? "direct_forward" : "forward_in_order";
  out.trace.push_back("tracking number " + tn.number + " forwards to " +
                      std::to_string(tn.receiving_numbers.size()) + " receiving numbers " +
                      (together ? "rung together" : "rung in order"));
  for (const auto& number : tn.receiving_numbers) {
    const ReceivingNumber& rn = config_.receiving_numbers.at(number);
    if (rn.schedule) {
      out.trace.push_back("receiving number " + rn.number + ": schedule " +
                          rn.schedule->schedule_id +
                          " not applied (tracking number rings several numbers)");
    }
    if (rn.no_answer) {
      out.trace.push_back("receiving number " + rn.number +
                          ": own no-answer routing not applied (rung with others)");
    }
    applyTaggingHours(rn, walk);
    PlannedTarget t = target(rn, false, walk);
    if (together) {
      if (out.steps.empty()) out.steps.push_back(PlannedStep{{}, tn.ring_timeout_ms});
      out.steps.back().targets.push_back(std::move(t));
    } else {
      out.steps.push_back(
          PlannedStep{{std::move(t)}, rn.ring_timeout_ms.value_or(tn.ring_timeout_ms)});
    }
  }
  if (tn.no_answer) {
    out.trace.push_back("tracking number no-answer routing: " +
                        std::string(destinationKindName(tn.no_answer->kind)) + " " +
                        tn.no_answer->ref);
    ringDestination(*tn.no_answer, walk);
  } else {
    out.trace.push_back("no answer: hang up (busy)");
  }
}

void RoutePlanner::ringAlone(const ReceivingNumber& rn, int timeout_ms,
                             const std::optional<Destination>& otherwise, Walk& walk) const {
  RouteOutcome& out = walk.out;
  if (rn.schedule) {
    const Schedule& schedule = config_.schedules.at(rn.schedule->schedule_id);
    Schedule::Check check = schedule.check(walk.receivedAtMs());
    out.trace.push_back("receiving number " + rn.number + ": " + check.why);
    if (!check.open) {
      const Destination& closed = rn.schedule->when_closed;
      out.trace.push_back("outside the schedule: " + std::string(destinationKindName(closed.kind)) +
                          (closed.ref.empty() ? "" : " " + closed.ref));
      ringDestination(closed, walk);
      return;
    }
  }
  applyTaggingHours(rn, walk);
  out.steps.push_back(
      PlannedStep{{target(rn, true, walk)}, rn.ring_timeout_ms.value_or(timeout_ms)});
  out.trace.push_back("ring receiving number " + rn.number + " for " +
                      std::to_string(out.steps.back().timeout_ms / 1000) + " s");
  const std::optional<Destination>& next = rn.no_answer ? rn.no_answer : otherwise;
  if (next) {
    out.trace.push_back("no answer from " + rn.number + ": " +
                        std::string(destinationKindName(next->kind)) +
                        (next->ref.empty() ? "" : " " + next->ref));
    ringDestination(*next, walk);
  } else {
    out.trace.push_back("no answer from " + rn.number + ": hang up (busy)");
  }
}

PlannedTarget RoutePlanner::target(const ReceivingNumber& rn, bool alone, Walk& walk) const {
  PlannedTarget t;
  t.uri = rn.uri;
  t.number = rn.number;
  t.agent_id = rn.agent_id;
  t.extension_digits = rn.extensionDigits();
  t.whisper = rn.whisper.empty() ? walk.whisper : rn.whisper;
  t.prevent_recording = rn.prevent_recording;
  t.source_tag = rn.source_tag;
  if (rn.caller_id.mode != CallerIdRule::Mode::Caller) {
    if (!alone) {
      walk.out.trace.push_back("receiving number " + rn.number +
                               ": caller-ID rule not applied (only when forwarding to one number)");
    } else {
      t.caller_id_number = rn.caller_id.mode == CallerIdRule::Mode::TrackingNumber
                               ? walk.dialed
                               : rn.caller_id.number;
      walk.out.trace.push_back("receiving number " + rn.number + ": present caller ID " +
                               t.caller_id_number);
    }
  }
  return t;
}

// seed 000: outside its tagging hours a receiving number's calls get the after-hours time limit.
void RoutePlanner::applyTaggingHours(const ReceivingNumber& rn, Walk& walk) const {
  if (!rn.tagging_hours) return;
  const Schedule& schedule = config_.schedules.at(rn.tagging_hours->schedule_id);
  Schedule::Check check = schedule.check(walk.receivedAtMs());
  walk.out.trace.push_back("receiving number " + rn.number + " tagging hours: " + check.why);
  int limit = rn.tagging_hours->after_hours_max_duration_s;
  if (!check.open && limit > 0) {
    int& current = walk.out.max_duration_s;
    current = current == 0 ? limit : std::min(current, limit);
    walk.out.trace.push_back("after hours: call limited to " + std::to_string(current) + " s");
  }
}

void RoutePlanner::ringDestination(const Destination& d, Walk& walk) const {
  RouteOutcome& out = walk.out;
  if (++walk.depth > kMaxChainDepth) {
    CM_BUG(true, "routing chain deeper than kMaxChainDepth; loop check missed a cycle");
    out.trace.push_back("routing chain too deep; stopped");
    return;
  }
  switch (d.kind) {
    case Destination::Kind::Hangup:
      out.trace.push_back("hang up (busy)");
      return;
    case Destination::Kind::ReceivingNumber:
      ringAlone(config_.receiving_numbers.at(d.ref), kDefaultRingTimeoutMs, std::nullopt, walk);
      return;
    case Destination::Kind::VoiceMenu:
    case Destination::Kind::VirtualAgent: {
      const auto& apps =
          d.kind == Destination::Kind::VoiceMenu ? config_.voice_menus : config_.virtual_agents;
      const MediaApplication& app = apps.at(d.ref);
      PlannedTarget t;
      t.uri = app.uri;
      out.steps.push_back(PlannedStep{{t}, kDefaultRingTimeoutMs});
      out.trace.push_back(std::string("hand the call to ") + destinationKindName(d.kind) + " " +
                          app.id + " at " + app.uri);
      return;
    }
    case Destination::Kind::Queue:
      ringQueue(config_.queues.at(d.ref), walk);
      return;
    case Destination::Kind::GeoRouter: {
      const GeoRouter& geo = config_.geo_routers.at(d.ref);
      GeoChoice choice = chooseByCallerLocation(geo, walk.callerZip(), walk.caller());
      out.trace.push_back(choice.why);
      if (choice.matched) {
        ringAlone(config_.receiving_numbers.at(choice.receiving_number), kDefaultRingTimeoutMs,
                  std::nullopt, walk);
      } else {
        ringDestination(geo.fallback, walk);
      }
      return;
    }
    case Destination::Kind::Agent:
      ringAgent(d.ref, kDefaultRingTimeoutMs, walk);
      return;
  }
}

void RoutePlanner::ringQueue(const Queue& queue, Walk& walk) const {
  RouteOutcome& out = walk.out;
  QueueRing ring = planQueueRing(queue, config_.agents, presence_, cursors_, walk.receivedAtMs());
  out.trace.insert(out.trace.end(), ring.trace.begin(), ring.trace.end());
  for (const auto& group : ring.groups) {
    PlannedStep step{{}, queue.ring_timeout_ms};
    for (const auto& id : group) {
      const Agent& a = config_.agents.at(id);
      PlannedTarget t;
      t.uri = a.uri;
      t.number = a.number;
      t.agent_id = a.id;
      t.whisper = walk.whisper;
      step.targets.push_back(std::move(t));
    }
    out.steps.push_back(std::move(step));
  }
  walk.nobody_ringable = ring.groups.empty();
  if (queue.no_answer) {
    out.trace.push_back("queue " + queue.id + " no-answer routing: " +
                        destinationKindName(queue.no_answer->kind) + " " + queue.no_answer->ref);
    ringDestination(*queue.no_answer, walk);
  } else {
    out.trace.push_back("queue " + queue.id + " no answer: hang up (busy)");
  }
}

bool RoutePlanner::ringAgent(const std::string& agent_id, int timeout_ms, Walk& walk) const {
  auto it = config_.agents.find(agent_id);
  if (it == config_.agents.end() || !it->second.hasPhone()) {
    walk.out.trace.push_back("agent " + agent_id + " is not configured with a phone");
    return false;
  }
  const Agent& a = it->second;
  PlannedTarget t;
  t.uri = a.uri;
  t.number = a.number;
  t.agent_id = a.id;
  t.whisper = walk.whisper;
  walk.out.steps.push_back(PlannedStep{{t}, timeout_ms});
  walk.out.trace.push_back("ring agent " + a.id + " at " + a.uri);
  return true;
}

std::vector<Contact> RoutePlanner::knownContacts(Walk& walk) const {
  const std::string& caller = walk.caller();
  if (caller.empty()) {
    walk.out.trace.push_back("caller '" + walk.callerText() + "' has no usable number: unknown");
    return {};
  }
  auto found = contacts_.contactsWithNumber(caller);
  if (!found.ok()) {
    walk.out.trace.push_back("contact lookup for " + caller +
                             " failed (routing as unknown): " + found.error().describe());
    return {};
  }
  walk.out.trace.push_back(std::to_string(found->size()) + " contact(s) with number " + caller);
  return std::move(found.value());
}

void RoutePlanner::planCompanyNumber(const CompanyNumber& company, Walk& walk) const {
  RouteOutcome& out = walk.out;
  out.source_tag = company.source;
  out.trace.push_back("company number " + company.number);
  // seed 004: existing contacts go to their primary agent.
  std::vector<Contact> contacts = knownContacts(walk);
  if (auto choice = choosePrimaryAgent(contacts)) {
    out.trace.push_back(choice->why);
    if (ringAgent(choice->agent_id, company.ring_timeout_ms, walk)) {
      out.rule = "company_contact";
      out.timeline_contact_ids = std::move(choice->timeline_contact_ids);
      std::string ids;
      for (const auto& id : out.timeline_contact_ids) ids += (ids.empty() ? "" : ",") + id;
      out.trace.push_back("timeline entry on contact(s) " + ids);
      return;
    }
    out.trace.push_back("primary agent cannot be rung; routing as an unknown caller");
  }
  // seed 004: unknown callers: custom rules by active hours first, then the default.
  LocalTime local = company.zone->toLocal(walk.receivedAtMs());
  std::string at = local.describe() + " " + company.zone->name();
  for (const auto& rule : company.rules) {
    if (!rule.active_hours.contains(local)) {
      out.trace.push_back("custom rule '" + rule.name + "' not active at " + at);
      continue;
    }
    out.trace.push_back("custom rule '" + rule.name + "' active at " + at);
    if (ringUnknownCallerRoute(rule.route, company.ring_timeout_ms, walk)) {
      out.rule = "company_custom_rule";
      return;
    }
    out.trace.push_back("custom rule '" + rule.name + "' rang nobody; trying the default");
    break;  // active hours never overlap, so no other custom rule is active now
  }
  out.trace.push_back("default rule");
  out.rule = "company_default_rule";
  ringUnknownCallerRoute(company.default_route, company.ring_timeout_ms, walk);
}

bool RoutePlanner::ringUnknownCallerRoute(const UnknownCallerRoute& route, int timeout_ms,
                                          Walk& walk) const {
  RouteOutcome& out = walk.out;
  switch (route.kind) {
    case UnknownCallerRoute::Kind::Blast: {
      // seed 004: ring every selected agent who is available, together; first answer wins.
      PlannedStep step{{}, timeout_ms};
      for (const auto& id : route.agent_ids) {
        const Agent& a = config_.agents.at(id);
        if (auto why = whyNotRingable(a, presence_.status(id), walk.receivedAtMs())) {
          out.trace.push_back("blast: skip " + *why);
          continue;
        }
        PlannedTarget t;
        t.uri = a.uri;
        t.number = a.number;
        t.agent_id = a.id;
        step.targets.push_back(std::move(t));
      }
      out.trace.push_back("blast to " + std::to_string(step.targets.size()) + " of " +
                          std::to_string(route.agent_ids.size()) + " agents");
      if (step.targets.empty()) {
        walk.nobody_ringable = true;
        return false;
      }
      walk.nobody_ringable = false;
      out.steps.push_back(std::move(step));
      return true;
    }
    case UnknownCallerRoute::Kind::User:
      return ringAgent(route.agent_ids.front(), timeout_ms, walk);
    case UnknownCallerRoute::Kind::Number:
      ringAlone(config_.receiving_numbers.at(route.number), timeout_ms, std::nullopt, walk);
      return true;
  }
  return false;
}

void RoutePlanner::planCrmNumber(const CrmNumber& crm, Walk& walk) const {
  RouteOutcome& out = walk.out;
  out.trace.push_back("CRM number " + crm.number);
  // seed 001: a lead assigned to a user with a phone rings that phone.
  std::vector<Contact> leads = knownContacts(walk);
  if (auto owner = choosePrimaryAgent(leads)) {
    auto it = config_.agents.find(owner->agent_id);
    if (it != config_.agents.end() && it->second.hasPhone()) {
      out.trace.push_back("lead assigned to " + owner->agent_id + ", who has a phone");
      out.rule = "crm_lead_owner";
      ringAgent(owner->agent_id, crm.ring_timeout_ms, walk);
      return;
    }
    out.trace.push_back("lead assigned to " + owner->agent_id + ", who has no phone");
  } else {
    out.trace.push_back("lead not assigned to a user");
  }
  if (!crm.forwarding_number.empty()) {
    out.rule = "crm_forwarding_number";
    out.trace.push_back("forwarding number " + crm.forwarding_number);
    ringAlone(config_.receiving_numbers.at(crm.forwarding_number), crm.ring_timeout_ms,
              std::nullopt, walk);
    return;
  }
  out.trace.push_back("no forwarding number set up");
  if (!crm.company_phone.empty()) {
    out.rule = "crm_company_phone";
    out.trace.push_back("company phone " + crm.company_phone);
    ringAlone(config_.receiving_numbers.at(crm.company_phone), crm.ring_timeout_ms, std::nullopt,
              walk);
    return;
  }
  setReject(out, 480, "Temporarily Unavailable (no user phone, forwarding number or company phone)",
            "crm_nowhere");
  out.trace.push_back("no company phone set up: nowhere to ring");
}

const Agent* RoutePlanner::callingAgent(Walk& walk) const {
  // A device registered as the agent (From: sip:alice@...) or calling from the agent's number.
  if (auto it = config_.agents.find(walk.callerText()); it != config_.agents.end()) {
    return &it->second;
  }
  if (config_.agents_by_number.empty()) return nullptr;
  auto by_number = config_.agents_by_number.find(walk.caller());
  if (by_number == config_.agents_by_number.end()) return nullptr;
  return &config_.agents.at(by_number->second);
}

bool RoutePlanner::planOutbound(Walk& walk) const {
  const Agent* agent = callingAgent(walk);
  if (!agent) return false;
  RouteOutcome& out = walk.out;
  out.trace.push_back(walk.dialed + " is not one of our numbers and the caller is agent " +
                      agent->id + ": outbound call");
  const std::string& project_id = walk.project().empty() ? agent->outbound_project : walk.project();
  auto it = config_.projects.find(project_id);
  if (it == config_.projects.end()) {
    std::string why = project_id.empty() ? "agent " + agent->id + " has no outbound project"
                                         : "no outbound project '" + project_id + "'";
    setReject(out, 403, "Forbidden (" + why + ")", "outbound_no_project");
    out.trace.push_back(why + ": rejected with 403");
    return true;
  }
  const OutboundProject& project = it->second;
  out.trace.push_back("project " + project.id +
                      (walk.project().empty() ? " (the agent's)" : " (named by the call)"));
  ContactHistory history;
  if (auto read = outbound_.read(walk.dialed, project.id); read.ok()) {
    history = std::move(read.value());
  } else {
    out.trace.push_back("outbound history of " + walk.dialed +
                        " unavailable (treated as a first call): " + read.error().describe());
  }
  OutboundCall call{walk.dialed, agent->id, agent->outbound_number, walk.lastOutcome()};
  CallerIdChoice choice =
      chooseOutboundCallerId(project, call, history, config_.outbound_numbers, random_);
  out.trace.insert(out.trace.end(), choice.trace.begin(), choice.trace.end());
  // Remembered as decided: the router does not see the call's end. A lost write only means the
  // next call to the contact is chosen as if this one had not happened.
  OutboundAttempt attempt{choice.number, choice.used, walk.receivedAtMs()};
  if (auto st = outbound_.record(walk.dialed, project.id, attempt); !st.ok()) {
    out.trace.push_back("caller ID not remembered for " + walk.dialed + ": " +
                        st.error().describe());
  }
  PlannedTarget t;
  t.uri = "sip:" + walk.dialed + "@" + config_.pstn_gateway;
  t.number = walk.dialed;
  t.caller_id_number = choice.number;
  out.steps.push_back(PlannedStep{{std::move(t)}, project.ring_timeout_ms});
  out.rule = "outbound_caller_id";
  out.caller_id_source = callerIdSourceName(choice.source);
  out.trace.push_back("ring " + walk.dialed + " through the PSTN gateway for " +
                      std::to_string(project.ring_timeout_ms / 1000) + " s, presenting " +
                      choice.number);
  return true;
}

}  // namespace callmesh::router
