#include "services/notification/api_deps.h"

namespace callmesh::notification {

ApiMetrics::ApiMetrics(prometheus::Registry& registry)
    : requests_family(prometheus::BuildCounter()
                          .Name("callmesh_notification_api_requests_total")
                          .Help("HTTP API requests by status class")
                          .Register(registry)),
      streams(prometheus::BuildGauge()
                  .Name("callmesh_notification_api_streams")
                  .Help("Open Server-Sent Event streams")
                  .Register(registry)
                  .Add({})),
      texts_sent(prometheus::BuildCounter()
                     .Name("callmesh_notification_texts_sent_total")
                     .Help("Texts the gateway accepted (2xx)")
                     .Register(registry)
                     .Add({})),
      texts_failed(prometheus::BuildCounter()
                       .Name("callmesh_notification_texts_failed_total")
                       .Help("Texts refused by the gateway or without a final response")
                       .Register(registry)
                       .Add({})),
      texts_limited(prometheus::BuildCounter()
                        .Name("callmesh_notification_texts_rate_limited_total")
                        .Help("Texts refused (429) by the per-agent text rate limit")
                        .Register(registry)
                        .Add({})),
      claims_family(
          prometheus::BuildCounter()
              .Name("callmesh_notification_claims_total")
              .Help("Claim attempts through the API by outcome (won, repeat, held, not_found)")
              .Register(registry)),
      time_to_claim_seconds(
          prometheus::BuildHistogram()
              .Name("callmesh_notification_time_to_claim_seconds")
              .Help("From the call's end (or the text's arrival) to the first claim of its record")
              .Register(registry)
              .Add({}, prometheus::Histogram::BucketBoundaries{5, 15, 30, 60, 120, 300, 600, 1800,
                                                               3600, 14400, 86400})),
      recording_family(prometheus::BuildCounter()
                           .Name("callmesh_notification_recording_commands_total")
                           .Help("Stop/start recording commands through the API, by action and "
                                 "outcome")
                           .Register(registry)) {
  for (const char* outcome : {"won", "repeat", "held", "not_found", "not_selected"})
    claims(outcome);
}

}  // namespace callmesh::notification
