#pragma once

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace callmesh::router {

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
  prometheus::Histogram& decision_seconds;
};

}  // namespace callmesh::router
