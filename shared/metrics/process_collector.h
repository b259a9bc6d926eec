#pragma once

#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace callmesh::metrics {

// The standard Prometheus process metrics, which prometheus-cpp does not provide, read from
// /proc/self at every scrape (Linux only; on read failure a metric is left out, never invented):
//   process_cpu_seconds_total        user + system CPU time
//   process_resident_memory_bytes    resident set size
//   process_virtual_memory_bytes     virtual memory size
//   process_open_fds                 open file descriptors
//   process_max_fds                  soft limit on open file descriptors
//   process_start_time_seconds       start time since the Unix epoch
//   process_threads                  threads of the process
// The names follow https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics,
// so the usual dashboards and alerts work unchanged. AdminServer appends these to every scrape.
class ProcessCollector : public prometheus::Collectable {
 public:
  // `proc_dir` is /proc/self; tests point it at a fixture folder.
  explicit ProcessCollector(std::string proc_dir = "/proc/self");
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string proc_dir_;
};

}  // namespace callmesh::metrics
