#include "services/concurrency-limiter/limiter_metrics.h"

namespace callmesh::concurrency_limiter {

namespace {
constexpr const char* kOther = "other";

template <typename T>
T& pick(std::map<std::string, T*>& m, const std::string& number) {
  auto it = m.find(number);
  return it != m.end() ? *it->second : *m.at(kOther);
}

prometheus::Counter& counter(prometheus::Registry& r, const std::string& name,
                             const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}
}  // namespace

LimiterMetrics::LimiterMetrics(prometheus::Registry& registry,
                               const std::map<std::string, int>& numbers, int default_cap)
    : released(counter(registry, "callmesh_concurrency_limiter_released_total",
                       "Slots freed by a release")),
      release_noop(counter(registry, "callmesh_concurrency_limiter_release_noop_total",
                           "Releases for a call that held no slot (already freed or expired)")),
      renewed(
          counter(registry, "callmesh_concurrency_limiter_renewed_total", "Slot leases extended")),
      lease_lost(counter(registry, "callmesh_concurrency_limiter_lease_lost_total",
                         "Renewals for slots whose lease had already expired")),
      redis_errors(counter(registry, "callmesh_concurrency_limiter_redis_errors_total",
                           "Redis commands that failed; the request was answered as failed")),
      failover_holds(counter(registry, "callmesh_concurrency_limiter_failover_holds_total",
                             "New calls refused while recounting leases after a Redis failover")),
      failovers(counter(registry, "callmesh_concurrency_limiter_redis_failovers_total",
                        "Moves of the Redis client to a new primary")),
      readopted(
          counter(registry, "callmesh_concurrency_limiter_readopted_total",
                  "Leases re-added by renewals after a failover (lost with the old primary)")),
      decode_errors(counter(registry, "callmesh_concurrency_limiter_decode_errors_total",
                            "Requests that could not be decoded")),
      acquired_family_(prometheus::BuildCounter()
                           .Name("callmesh_concurrency_limiter_acquired_total")
                           .Help("Slots granted, per configured number")
                           .Register(registry)),
      rejected_family_(prometheus::BuildCounter()
                           .Name("callmesh_concurrency_limiter_rejected_total")
                           .Help("Acquires refused because the number was at its cap")
                           .Register(registry)),
      in_use_family_(prometheus::BuildGauge()
                         .Name("callmesh_concurrency_limiter_in_use_calls")
                         .Help("Slots in use after the last request touching the number")
                         .Register(registry)),
      cap_family_(prometheus::BuildGauge()
                      .Name("callmesh_concurrency_limiter_cap_calls")
                      .Help("Simultaneous calls allowed per number (other: the default cap)")
                      .Register(registry)) {
  auto add = [&](const std::string& n, int cap) {
    acquired_[n] = &acquired_family_.Add({{"number", n}});
    rejected_[n] = &rejected_family_.Add({{"number", n}});
    in_use_[n] = &in_use_family_.Add({{"number", n}});
    cap_family_.Add({{"number", n}}).Set(cap);
  };
  for (const auto& [number, cap] : numbers) add(number, cap);
  add(kOther, default_cap);
}

prometheus::Counter& LimiterMetrics::acquired(const std::string& number) {
  return pick(acquired_, number);
}
prometheus::Counter& LimiterMetrics::rejected(const std::string& number) {
  return pick(rejected_, number);
}
prometheus::Gauge& LimiterMetrics::inUse(const std::string& number) {
  return pick(in_use_, number);
}

}  // namespace callmesh::concurrency_limiter
