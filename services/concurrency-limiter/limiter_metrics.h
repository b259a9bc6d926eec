#pragma once

#include <map>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace callmesh::concurrency_limiter {

// Every metric of the limiter, created once at startup (Redis round-trip time is
// callmesh_concurrency_limiter_redis_duration_seconds, from metrics::TimedRedisClient in main).
// Per-number series exist only for configured numbers (bounded cardinality); every other number is
// counted under "other".
class LimiterMetrics {
 public:
  // `numbers` maps each configured number to its cap; `default_cap` is the cap of "other".
  LimiterMetrics(prometheus::Registry& registry, const std::map<std::string, int>& numbers,
                 int default_cap = 50);

  prometheus::Counter& acquired(const std::string& number);
  prometheus::Counter& rejected(const std::string& number);
  prometheus::Gauge& inUse(const std::string& number);

  prometheus::Counter& released;
  prometheus::Counter& release_noop;
  prometheus::Counter& renewed;
  prometheus::Counter& lease_lost;  // renew found the slot already gone
  prometheus::Counter& redis_errors;
  prometheus::Counter& failover_holds;  // new calls refused while recounting after a failover
  prometheus::Counter& failovers;       // moves to a new Redis primary
  prometheus::Counter& readopted;       // leases re-added by renewals during a hold
  prometheus::Counter& decode_errors;

 private:
  prometheus::Family<prometheus::Counter>& acquired_family_;
  prometheus::Family<prometheus::Counter>& rejected_family_;
  prometheus::Family<prometheus::Gauge>& in_use_family_;
  // callmesh_concurrency_limiter_cap_calls{number}: the configured cap, so that dashboards and
  // alerts can divide in_use by it (set once; config is read at start-up).
  prometheus::Family<prometheus::Gauge>& cap_family_;
  std::map<std::string, prometheus::Counter*> acquired_;
  std::map<std::string, prometheus::Counter*> rejected_;
  std::map<std::string, prometheus::Gauge*> in_use_;
};

}  // namespace callmesh::concurrency_limiter
