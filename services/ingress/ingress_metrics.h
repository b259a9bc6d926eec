#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/ingress/heap_metrics.h"

namespace callmesh::ingress {

// Every metric of the ingress, created once at startup. Labels are bounded: SIP status codes,
// end reasons and peer names are small fixed sets.
struct IngressMetrics {
  explicit IngressMetrics(prometheus::Registry& registry);

  // By method, the label from a fixed set: the methods of RFC 3261 and its extensions that
  // gateways send, and "other" for any other token. The method is the sender's text, and a label
  // per distinct token would let anyone grow the registry without bound (issue 16, item 7).
  prometheus::Counter& requests(std::string_view method) {
    return requests_family.Add({{"method", std::string(methodLabel(method))}});
  }
  static std::string_view methodLabel(std::string_view method);
  prometheus::Counter& rejected(int status) {
    return rejected_family.Add({{"status", std::to_string(status)}});
  }
  prometheus::Counter& ended(const std::string& reason) {
    return ended_family.Add({{"reason", reason}});
  }
  // Requests refused at the edge, by a reason from the fixed set the constructor creates:
  // untrusted, rate_limited (ban starts), banned, new_call_rate (503), new_call_banned,
  // oversized, header_section, preloaded_route, not_in_dialog, loop.
  prometheus::Counter& blocked(const std::string& reason) {
    return blocked_family.Add({{"reason", reason}});
  }
  // The media plane (media_plane.h): calls rtpengine could not serve, by a reason from the fixed
  // set the constructor creates: timeout, unavailable (refused or not answering), rejected (an
  // ng error), no_sdp (a late offer's 2xx or ACK without SDP); and ng commands by command name
  // (fixed set).
  prometheus::Counter& mediaFailures(const std::string& reason) {
    return media_failures_family.Add({{"reason", reason}});
  }
  prometheus::Counter& mediaCommands(const std::string& command, bool ok) {
    return media_commands_family.Add({{"command", command}, {"outcome", ok ? "ok" : "error"}});
  }
  // Recording control commands from the notification API (recording_control.h), by action
  // (stop|start) and outcome (RecordingOutcome names: a fixed set).
  prometheus::Counter& recordingCommands(const std::string& action, const std::string& outcome) {
    return recording_commands_family.Add({{"action", action}, {"outcome", outcome}});
  }
  prometheus::Counter& peerErrors(const std::string& peer) {
    return peer_errors_family.Add({{"peer", peer}});
  }

  // Time from sending a request to the router or limiter (ZeroMQ) to its reply, retries included;
  // failed requests are observed too (they are counted in peerErrors as well).
  prometheus::Histogram& peerSeconds(const std::string& peer) {
    return peer_seconds_family.Add(
        {{"peer", peer}},
        prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                0.025, 0.05, 0.1, 0.25, 0.5, 1});
  }

  // Calls routed, by where the decision came from ("router": asked for this call; "reused": a
  // decision the router marked reusable, kept for the number, RouteCache) and by the rule that
  // made it ("rejected" for a refusal). Rules are a small fixed set; the counters are looked up
  // once per rule, not per call.
  prometheus::Counter& routeDecision(bool reused, const std::string& rule);

  // Gateway sets (issue 21): labels are set and gateway names from configuration only, created
  // once per configured gateway by GatewayMetrics (gateway_metrics.h).
  prometheus::Family<prometheus::Gauge>& gateway_up_family;
  prometheus::Family<prometheus::Gauge>& gateway_set_up_family;
  prometheus::Family<prometheus::Counter>& gateway_probes_family;
  prometheus::Family<prometheus::Counter>& gateway_failovers_family;
  // TCP and TLS connections (connection_bounds.h): closed by the ingress, by a reason from the
  // fixed set first_message_timeout, per_source, total; TLS certificate reloads by outcome.
  prometheus::Counter& connectionsCut(const std::string& reason) {
    return connections_cut_family.Add({{"reason", reason}});
  }
  prometheus::Counter& tlsReloads(bool ok) {
    return tls_reloads_family.Add({{"outcome", ok ? "ok" : "failed"}});
  }
  prometheus::Family<prometheus::Counter>& connections_cut_family;
  prometheus::Family<prometheus::Counter>& tls_reloads_family;
  prometheus::Gauge& connections_open;  // inbound TCP+TLS connections at the last sweep
  // Inbound trunks (trunk_metrics.h): the label is a trunk's name from configuration only.
  prometheus::Family<prometheus::Counter>& trunk_new_calls_family;
  prometheus::Family<prometheus::Counter>& trunk_blocked_family;
  // Gateways given by DNS name: labels set and gateway (the configured entry's name).
  prometheus::Family<prometheus::Counter>& gateway_dns_resolutions_family;
  prometheus::Family<prometheus::Gauge>& gateway_dns_targets_family;
  prometheus::Family<prometheus::Gauge>& gateway_dns_stale_family;
  prometheus::Family<prometheus::Counter>& route_decisions_family;
  prometheus::Family<prometheus::Counter>& requests_family;
  prometheus::Family<prometheus::Histogram>& peer_seconds_family;
  prometheus::Family<prometheus::Counter>& rejected_family;
  prometheus::Family<prometheus::Counter>& ended_family;
  prometheus::Family<prometheus::Counter>& peer_errors_family;
  prometheus::Family<prometheus::Counter>& blocked_family;
  prometheus::Family<prometheus::Counter>& media_failures_family;
  prometheus::Family<prometheus::Counter>& media_commands_family;
  prometheus::Family<prometheus::Counter>& recording_commands_family;
  prometheus::Counter& media_anchored;      // calls whose RTP runs through rtpengine
  prometheus::Histogram& media_ng_seconds;  // one ng command, resends included
  prometheus::Counter& calls_offered;
  prometheus::Counter& calls_answered;
  prometheus::Counter& cap_rejections;
  // Calls that met the cap and waited for a slot (cap_waits.h), by how the wait ended.
  prometheus::Family<prometheus::Counter>& cap_waits_family;
  prometheus::Counter& cap_waits_admitted;
  prometheus::Counter& cap_waits_busy;
  prometheus::Gauge& cap_waiting;  // calls waiting now
  prometheus::Counter& branches_started;
  prometheus::Counter& dropped_requests;  // in-dialog requests for unknown dialogs, stray replies
  prometheus::Counter& events_dropped;
  prometheus::Counter& refused_name_lookups;  // DNS lookups of names not in our config, refused
  prometheus::Gauge& active_calls;
  prometheus::Gauge& events_pending;
  prometheus::Gauge& held_slots;
  prometheus::Histogram& setup_seconds;      // INVITE received -> 200 relayed
  prometheus::Histogram& admission_seconds;  // INVITE received -> first branch sent
  HeapMetrics heap;                          // updated once a second (sip_proxy_tick.cpp)

 private:
  std::unordered_map<std::string, std::pair<prometheus::Counter*, prometheus::Counter*>>
      route_decisions_by_rule_;  // rule -> {router, reused}
};

}  // namespace callmesh::ingress
