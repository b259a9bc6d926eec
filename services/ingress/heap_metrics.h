#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

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

 private:
  prometheus::Family<prometheus::Gauge>& family_;
  prometheus::Gauge& allocated_;
  prometheus::Gauge& active_;
  prometheus::Gauge& resident_;
  prometheus::Gauge& retained_;
};

}  // namespace callmesh::ingress
