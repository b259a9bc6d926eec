#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>

#include "services/ingress/heap_mode.h"

namespace callmesh::ingress {

// The ingress's heap as its allocator counts it, beside the RSS the kernel counts: what tells a
// leak (allocated grows) from pages the allocator keeps (resident grows, allocated does not).
// jemalloc's stats.allocated (bytes the program holds), stats.active (pages backing them),
// stats.resident (pages the allocator maps and touched, its metadata included) and
// stats.retained (address space kept unmapped for reuse), as
// callmesh_ingress_heap_bytes{kind}. Read once a second from the SIP thread's tick.
class HeapMetrics {
 public:
  explicit HeapMetrics(prometheus::Registry& registry);
  // Reads the counters; false (and the gauges untouched) when the allocator is not jemalloc:
  // sanitizer builds and the unit tests link none.
  bool update();
  // stats.active at the last update().
  uint64_t activeBytes() const { return active_bytes_; }

  // Puts the allocator and the kernel in `mode` (services/ingress/heap_mode.h): Growing = huge
  // pages and no purge (the settings the ingress starts with, jemalloc_settings.cpp); Steady =
  // no new huge pages for this process (prctl PR_SET_THP_DISABLE, which also keeps khugepaged
  // away) and free pages purged after `steady_decay_ms`. False when it could not (no jemalloc).
  bool applyMode(HeapGrowthWatch::Mode mode, int64_t steady_decay_ms);

 private:
  prometheus::Family<prometheus::Gauge>& family_;
  prometheus::Gauge& allocated_;
  prometheus::Gauge& active_;
  prometheus::Gauge& resident_;
  prometheus::Gauge& retained_;
  prometheus::Gauge& steady_;
  uint64_t active_bytes_ = 0;
};

}  // namespace callmesh::ingress
