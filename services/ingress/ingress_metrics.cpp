#include "services/ingress/ingress_metrics.h"

namespace callmesh::ingress {

std::string_view IngressMetrics::methodLabel(std::string_view method) {
  static constexpr std::string_view kKnown[] = {
      "INVITE", "ACK",   "BYE",    "CANCEL", "OPTIONS", "REGISTER",  "MESSAGE",
      "INFO",   "PRACK", "UPDATE", "REFER",  "NOTIFY",  "SUBSCRIBE", "PUBLISH"};
  for (std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "other";
}

namespace {
prometheus::Counter& counter(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}
prometheus::Gauge& gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}
prometheus::Histogram& seconds(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add(
      {}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
}
}  // namespace

IngressMetrics::IngressMetrics(prometheus::Registry& registry)
    : gateway_up_family(prometheus::BuildGauge()
                            .Name("callmesh_ingress_gateway_up")
                            .Help("1 while a gateway of a set is up (OPTIONS probes), else 0")
                            .Register(registry)),
      gateway_set_up_family(prometheus::BuildGauge()
                                .Name("callmesh_ingress_gateway_set_up_gateways")
                                .Help("Gateways of a set that are up; 0 = calls to the set fail")
                                .Register(registry)),
      gateway_probes_family(
          prometheus::BuildCounter()
              .Name("callmesh_ingress_gateway_probes_total")
              .Help("OPTIONS probes to a gateway, by result: answered, failed (408, 5xx, 6xx, "
                    "unreachable) or timeout")
              .Register(registry)),
      gateway_failovers_family(
          prometheus::BuildCounter()
              .Name("callmesh_ingress_gateway_failovers_total")
              .Help("Calls moved from this gateway to the next of its set, by reason: 408, 500, "
                    "503 or no_answer")
              .Register(registry)),
      connections_cut_family(prometheus::BuildCounter()
                                 .Name("callmesh_ingress_connections_cut_total")
                                 .Help("Inbound TCP/TLS connections the ingress closed, by reason")
                                 .Register(registry)),
      tls_reloads_family(prometheus::BuildCounter()
                             .Name("callmesh_ingress_tls_reloads_total")
                             .Help("TLS certificate/key/CA files re-read after a change")
                             .Register(registry)),
      connections_open(gauge(registry, "callmesh_ingress_connections_open",
                             "Inbound TCP and TLS connections open at the last sweep")),
      trunk_new_calls_family(
          prometheus::BuildCounter()
              .Name("callmesh_ingress_trunk_new_calls_total")
              .Help("New calls (initial INVITE, out-of-dialog MESSAGE/OPTIONS) admitted from an "
                    "inbound trunk (ingress.trunks), by trunk")
              .Register(registry)),
      trunk_blocked_family(
          prometheus::BuildCounter()
              .Name("callmesh_ingress_trunk_blocked_requests_total")
              .Help("Requests of an inbound trunk refused at its own rates, by trunk and reason: "
                    "rate_limited, banned, new_call_rate (503), new_call_banned")
              .Register(registry)),
      gateway_dns_resolutions_family(
          prometheus::BuildCounter()
              .Name("callmesh_ingress_gateway_dns_resolutions_total")
              .Help("RFC 3263 resolutions of a gateway name, by result: ok or failed (a failed "
                    "one keeps the last good answer up to gateway_dns_stale_ms past its TTL)")
              .Register(registry)),
      gateway_dns_targets_family(
          prometheus::BuildGauge()
              .Name("callmesh_ingress_gateway_dns_targets")
              .Help("Addresses a gateway name resolved to that are members of its set now")
              .Register(registry)),
      gateway_dns_stale_family(
          prometheus::BuildGauge()
              .Name("callmesh_ingress_gateway_dns_stale")
              .Help("1 while a gateway name's targets are its last good answer past its TTL "
                    "(resolutions failing), else 0")
              .Register(registry)),
      route_decisions_family(
          prometheus::BuildCounter()
              .Name("callmesh_ingress_route_decisions_total")
              .Help("Calls routed, by rule and source: router (asked for this call) or reused "
                    "(kept for the number under the router's current config)")
              .Register(registry)),
      requests_family(prometheus::BuildCounter()
                          .Name("callmesh_ingress_sip_requests_total")
                          .Help("SIP requests received, by method")
                          .Register(registry)),
      peer_seconds_family(
          prometheus::BuildHistogram()
              .Name("callmesh_ingress_peer_request_duration_seconds")
              .Help("From a request sent to the router or limiter to its reply, by peer")
              .Register(registry)),
      rejected_family(
          prometheus::BuildCounter()
              .Name("callmesh_ingress_calls_rejected_total")
              .Help("Calls answered with a final error by the ingress itself, by status")
              .Register(registry)),
      ended_family(prometheus::BuildCounter()
                       .Name("callmesh_ingress_calls_ended_total")
                       .Help("Calls ended, by reason")
                       .Register(registry)),
      peer_errors_family(prometheus::BuildCounter()
                             .Name("callmesh_ingress_peer_errors_total")
                             .Help("Requests to router/limiter that failed or timed out")
                             .Register(registry)),
      blocked_family(
          prometheus::BuildCounter()
              .Name("callmesh_ingress_blocked_requests_total")
              .Help("Requests refused by the source ACL, the per-source rate limit or the edge "
                    "size bounds")
              .Register(registry)),
      media_failures_family(prometheus::BuildCounter()
                                .Name("callmesh_ingress_media_failures_total")
                                .Help("Calls rtpengine could not anchor or serve, by reason")
                                .Register(registry)),
      media_commands_family(prometheus::BuildCounter()
                                .Name("callmesh_ingress_media_commands_total")
                                .Help("ng commands sent to rtpengine, by command and outcome")
                                .Register(registry)),
      recording_commands_family(
          prometheus::BuildCounter()
              .Name("callmesh_ingress_recording_commands_total")
              .Help("Stop/start recording commands from the API, by action and outcome")
              .Register(registry)),
      media_anchored(counter(registry, "callmesh_ingress_media_anchored_total",
                             "Calls whose media was anchored on rtpengine")),
      media_ng_seconds(
          prometheus::BuildHistogram()
              .Name("callmesh_ingress_media_ng_duration_seconds")
              .Help("One ng command to rtpengine, from send to reply (resends "
                    "included), blocking the SIP thread")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001,
                                                               0.0025, 0.005, 0.01, 0.025, 0.05,
                                                               0.1, 0.25, 0.5})),
      calls_offered(counter(registry, "callmesh_ingress_calls_offered_total",
                            "New INVITEs accepted for routing")),
      calls_answered(
          counter(registry, "callmesh_ingress_calls_answered_total", "Calls answered by a target")),
      cap_rejections(counter(registry, "callmesh_ingress_cap_rejections_total",
                             "Calls refused because the dialed number was at its cap")),
      cap_waits_family(prometheus::BuildCounter()
                           .Name("callmesh_ingress_cap_waits_total")
                           .Help("Calls that met their number's cap and waited for a slot to be "
                                 "freed, by outcome: admitted, or busy once the wait was over")
                           .Register(registry)),
      cap_waits_admitted(cap_waits_family.Add({{"outcome", "admitted"}})),
      cap_waits_busy(cap_waits_family.Add({{"outcome", "busy"}})),
      cap_waiting(gauge(registry, "callmesh_ingress_cap_waiting",
                        "Calls waiting at their number's cap for a slot to be freed")),
      branches_started(counter(registry, "callmesh_ingress_branches_started_total",
                               "Outbound INVITE branches sent")),
      dropped_requests(
          counter(registry, "callmesh_ingress_dropped_total",
                  "Requests/responses dropped: unknown dialog, stray response, not ours")),
      events_dropped(counter(registry, "callmesh_ingress_events_dropped_total",
                             "Call events refused because a subscriber's backlog was full")),
      refused_name_lookups(
          counter(registry, "callmesh_ingress_refused_name_lookups_total",
                  "Lookups of host names not in our configuration (e.g. a Via host), refused")),
      active_calls(
          gauge(registry, "callmesh_ingress_active_calls", "Calls being set up or connected")),
      events_pending(gauge(registry, "callmesh_ingress_events_pending",
                           "Call events awaiting acknowledgement")),
      held_slots(
          gauge(registry, "callmesh_ingress_held_slots", "Concurrency slots held by this ingress")),
      setup_seconds(seconds(registry, "callmesh_ingress_call_setup_duration_seconds",
                            "From INVITE received to 200 OK relayed")),
      admission_seconds(
          seconds(registry, "callmesh_ingress_admission_duration_seconds",
                  "From INVITE received to the first branch sent (limiter + router)")),
      heap(registry) {
  // Series that alerts and dashboards select exist from the start, at 0, not only after the first
  // event (a family without children is not exported at all).
  for (const char* peer : {"limiter", "router"}) {
    peerSeconds(peer);
    peerErrors(peer);
  }
  for (int status : {486, 503}) rejected(status);  // over the cap; fail closed
  for (const char* reason :
       {"untrusted", "rate_limited", "banned", "new_call_rate", "new_call_banned", "oversized",
        "header_section", "preloaded_route", "not_in_dialog", "loop"})
    blocked(reason);
  for (const char* reason : {"timeout", "unavailable", "rejected", "no_sdp"}) mediaFailures(reason);
  for (const char* reason : {"first_message_timeout", "per_source", "total"})
    connectionsCut(reason);
  tlsReloads(true);
  tlsReloads(false);
}

prometheus::Counter& IngressMetrics::routeDecision(bool reused, const std::string& rule) {
  auto it = route_decisions_by_rule_.find(rule);
  if (it == route_decisions_by_rule_.end()) {
    const std::string& label = rule.empty() ? std::string("rejected") : rule;
    it = route_decisions_by_rule_
             .emplace(rule,
                      std::make_pair(
                          &route_decisions_family.Add({{"source", "router"}, {"rule", label}}),
                          &route_decisions_family.Add({{"source", "reused"}, {"rule", label}})))
             .first;
  }
  return reused ? *it->second.second : *it->second.first;
}

}  // namespace callmesh::ingress
