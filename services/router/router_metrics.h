#pragma once

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace callmesh::router {

// Failed lookups of one directory (presence or contacts): the decision went on failing open.
struct DirectoryErrorCounters {
  prometheus::Counter& unreachable;  // Redis disconnected/timed out, or skipped right after that
  prometheus::Counter& bad_data;     // a key or field not shaped as docs/redis-keys.md says
};

// Every metric of the router, created once at startup.
struct RouterMetrics {
  explicit RouterMetrics(prometheus::Registry& registry);

  // Decisions by rule (bounded: rule names are code constants) and outcome (ring|reject).
  prometheus::Counter& decision(const std::string& rule, const std::string& outcome) {
    return decisions_family.Add({{"rule", rule}, {"outcome", outcome}});
  }

  prometheus::Family<prometheus::Counter>& decisions_family;
  prometheus::Counter& decode_errors;
  prometheus::Counter& reloads_ok;
  prometheus::Counter& reloads_failed;
  prometheus::Gauge& tracking_numbers;
  // The config epoch this replica routes on: the document version (routing_source: redis), or the
  // low 52 bits of the file's hash (file), so a dashboard sees every replica's epoch agree.
  prometheus::Gauge& config_epoch;
  prometheus::Histogram& decision_seconds;
  // Outbound caller IDs chosen (seed 002), by how: agent, fixed, kept, random, regional, outcome,
  // different_each_attempt (bounded: callerIdSourceName).
  prometheus::Counter& outboundCallerId(const std::string& source) {
    return outbound_caller_ids_family.Add({{"source", source}});
  }

  // callmesh_router_directory_errors_total{directory="presence"|"contacts"|"outbound_history",
  // reason=...}
  prometheus::Family<prometheus::Counter>& directory_errors_family;
  DirectoryErrorCounters presence_errors;
  DirectoryErrorCounters contact_errors;
  DirectoryErrorCounters outbound_history_errors;
  prometheus::Family<prometheus::Counter>& outbound_caller_ids_family;
  // callmesh_router_outbound_refused_total{reason}: reasons from kOutboundRefusalReasons only.
  prometheus::Counter& outboundRefused(const std::string& reason) {
    return outbound_refused_family.Add({{"reason", reason}});
  }
  prometheus::Family<prometheus::Counter>& outbound_refused_family;
};

}  // namespace callmesh::router
