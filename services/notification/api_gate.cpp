#include "services/notification/api_gate.h"

namespace callmesh::notification {

namespace {
// Tables keyed by what an outsider chooses (source addresses) or by configured agents: the
// bound keeps memory flat under address churn; forgetting the oldest only resets its budget.
constexpr size_t kMaxKeys = 65536;
constexpr Refusal kAll[] = {
    Refusal::RateLimited, Refusal::AuthThrottled, Refusal::StreamsPerAgent, Refusal::StreamsReplica,
    Refusal::Connections, Refusal::WorkersBusy,   Refusal::HeaderTooLarge,  Refusal::BodyTooLarge,
    Refusal::BadRequest,  Refusal::ReadTimeout,   Refusal::SlowStream};
}  // namespace

const char* refusalName(Refusal r) {
  switch (r) {
    case Refusal::RateLimited:
      return "rate_limited";
    case Refusal::AuthThrottled:
      return "auth_throttled";
    case Refusal::StreamsPerAgent:
      return "streams_per_agent";
    case Refusal::StreamsReplica:
      return "streams_replica";
    case Refusal::Connections:
      return "connections";
    case Refusal::WorkersBusy:
      return "workers_busy";
    case Refusal::HeaderTooLarge:
      return "header_too_large";
    case Refusal::BodyTooLarge:
      return "body_too_large";
    case Refusal::BadRequest:
      return "bad_request";
    case Refusal::ReadTimeout:
      return "read_timeout";
    case Refusal::SlowStream:
      return "slow_stream";
  }
  return "unknown";
}

ApiLimitMetrics::ApiLimitMetrics(prometheus::Registry& registry)
    : refusals_family(
          prometheus::BuildCounter()
              .Name("callmesh_notification_api_refusals_total")
              .Help("API requests or connections refused or dropped by a limit, by reason")
              .Register(registry)),
      connections(prometheus::BuildGauge()
                      .Name("callmesh_notification_api_connections")
                      .Help("Open HTTP API connections, streams included")
                      .Register(registry)
                      .Add({})),
      events_dropped(
          prometheus::BuildCounter()
              .Name("callmesh_notification_api_stream_events_dropped_total")
              .Help("Bus events not fanned out to streams because the API's io thread was behind")
              .Register(registry)
              .Add({})) {
  for (Refusal r : kAll) refused(r);  // every label present from the start, at 0
}

ApiGate::ApiGate(const config::ApiLimitSettings& limits, const Clock& clock,
                 ApiLimitMetrics& metrics)
    : limits_(limits),
      clock_(clock),
      metrics_(metrics),
      failed_auth_(limits.auth_failures_burst, limits.auth_failures_per_min / 60.0, kMaxKeys),
      callers_(limits.rate_burst, limits.rate_per_s, kMaxKeys),
      streams_(limits.streams_per_agent, limits.streams_max) {}

int ApiGate::authThrottled(const std::string& source) {
  int64_t wait = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wait = failed_auth_.wait(source, clock_.steadyMs());
  }
  // Counted by the transport, which answers the 429.
  return wait == 0 ? 0 : retryAfterSeconds(wait);
}

void ApiGate::authFailed(const std::string& source) {
  std::lock_guard<std::mutex> lock(mutex_);
  failed_auth_.take(source, clock_.steadyMs());
}

int ApiGate::callerThrottled(const std::string& agent) {
  int64_t wait = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wait = callers_.take(agent, clock_.steadyMs());
  }
  if (wait == 0) return 0;
  metrics_.refused(Refusal::RateLimited).Increment();
  return retryAfterSeconds(wait);
}

std::optional<ApiGate::StreamSlot> ApiGate::openStream(const std::string& agent, Refusal& why) {
  StreamQuota::Verdict v;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    v = streams_.open(agent);
  }
  if (v != StreamQuota::Verdict::Open) {
    why = v == StreamQuota::Verdict::KeyFull ? Refusal::StreamsPerAgent : Refusal::StreamsReplica;
    metrics_.refused(why).Increment();
    return std::nullopt;
  }
  // The deleter gives the slot back; the gate outlives every stream (ApiServer owns both).
  return StreamSlot(static_cast<void*>(this), [this, agent](void*) {
    std::lock_guard<std::mutex> lock(mutex_);
    streams_.close(agent);
  });
}

int ApiGate::openStreams() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return streams_.total();
}

}  // namespace callmesh::notification
