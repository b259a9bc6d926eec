#include "services/router/router_metrics.h"

#include "services/router/outbound_policy.h"

namespace callmesh::router {

RouterMetrics::RouterMetrics(prometheus::Registry& registry)
    : decisions_family(prometheus::BuildCounter()
                           .Name("callmesh_router_decisions_total")
                           .Help("Routing decisions by rule and outcome")
                           .Register(registry)),
      decode_errors(prometheus::BuildCounter()
                        .Name("callmesh_router_decode_errors_total")
                        .Help("Route requests that could not be decoded")
                        .Register(registry)
                        .Add({})),
      reloads_ok(prometheus::BuildCounter()
                     .Name("callmesh_router_config_reloads_total")
                     .Help("Routing config reloads by result")
                     .Register(registry)
                     .Add({{"result", "ok"}})),
      reloads_failed(prometheus::BuildCounter()
                         .Name("callmesh_router_config_reloads_total")
                         .Help("Routing config reloads by result")
                         .Register(registry)
                         .Add({{"result", "rejected"}})),
      tracking_numbers(prometheus::BuildGauge()
                           .Name("callmesh_router_tracking_numbers")
                           .Help("Tracking numbers in the loaded routing config")
                           .Register(registry)
                           .Add({})),
      config_epoch(prometheus::BuildGauge()
                       .Name("callmesh_router_config_epoch")
                       .Help("Config epoch routed on: the routing document version (redis "
                             "source) or the low 52 bits of the file hash (file source)")
                       .Register(registry)
                       .Add({})),
      decision_seconds(
          prometheus::BuildHistogram()
              .Name("callmesh_router_decision_duration_seconds")
              .Help("Time to decode, decide and encode one route request")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.000005, 0.00001, 0.000025, 0.00005,
                                                               0.0001, 0.00025, 0.001, 0.005})),
      directory_errors_family(prometheus::BuildCounter()
                                  .Name("callmesh_router_directory_errors_total")
                                  .Help("Presence or contact lookups that failed open, by reason")
                                  .Register(registry)),
      presence_errors{
          directory_errors_family.Add({{"directory", "presence"}, {"reason", "unreachable"}}),
          directory_errors_family.Add({{"directory", "presence"}, {"reason", "bad_data"}})},
      contact_errors{
          directory_errors_family.Add({{"directory", "contacts"}, {"reason", "unreachable"}}),
          directory_errors_family.Add({{"directory", "contacts"}, {"reason", "bad_data"}})},
      outbound_history_errors{
          directory_errors_family.Add(
              {{"directory", "outbound_history"}, {"reason", "unreachable"}}),
          directory_errors_family.Add({{"directory", "outbound_history"}, {"reason", "bad_data"}})},
      outbound_caller_ids_family(
          prometheus::BuildCounter()
              .Name("callmesh_router_outbound_caller_ids_total")
              .Help("Caller IDs chosen for outbound calls, by how (seed 002)")
              .Register(registry)),
      outbound_refused_family(
          prometheus::BuildCounter()
              .Name("callmesh_router_outbound_refused_total")
              .Help("Agents' outbound calls refused (issue 16), by reason: auth_required, "
                    "no_project, project_not_allowed, country_not_allowed, blocked_prefix, "
                    "rate_limited")
              .Register(registry)) {
  // Every reason exists from the start (at 0), so a rate over it needs no first refusal.
  for (const char* reason : kOutboundRefusalReasons)
    outbound_refused_family.Add({{"reason", reason}});
}

}  // namespace callmesh::router
