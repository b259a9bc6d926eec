#pragma once

// The API's admission checks (issue 17 item 2), shared by the HTTP transport (io thread) and the
// route guard (worker threads): failed-auth throttling per source address, request rate per
// caller, streams per caller and per replica. The arithmetic is http_limits.h; this adds the
// lock, the clock and a refusal counter per reason.
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "services/notification/http_limits.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"

namespace callmesh::notification {

// Why the API refused or dropped a client: the fixed label set of
// callmesh_notification_api_refusals_total{reason}.
enum class Refusal {
  RateLimited,      // 429: the caller's request rate
  AuthThrottled,    // 429: too many bad tokens from this source address
  StreamsPerAgent,  // 429: the caller's open streams
  StreamsReplica,   // 503: this replica's open streams
  Connections,      // 503 + close: this replica's open connections
  WorkersBusy,      // 503: every worker busy and the queue full
  HeaderTooLarge,   // 431 + close
  BodyTooLarge,     // 413 + close
  BadRequest,       // 400 + close: not HTTP/1.x
  ReadTimeout,      // closed: a request not read within api_read_timeout_ms
  SlowStream,       // closed: a stream whose unsent events passed api_stream_queue_bytes
};
const char* refusalName(Refusal r);

struct ApiLimitMetrics {
  explicit ApiLimitMetrics(prometheus::Registry& registry);
  prometheus::Family<prometheus::Counter>& refusals_family;
  prometheus::Gauge& connections;       // open sockets of the API (streams included)
  prometheus::Counter& events_dropped;  // events not fanned out: the io thread was behind
  prometheus::Counter& refused(Refusal r) {
    return refusals_family.Add({{"reason", refusalName(r)}});
  }
};

class ApiGate {
 public:
  ApiGate(const config::ApiLimitSettings& limits, const Clock& clock, ApiLimitMetrics& metrics);

  // Before any work for a request from `source` (an IP address): 0, or the seconds to wait
  // when that address has spent its budget of failed sign-ins (the caller counts the refusal).
  int authThrottled(const std::string& source);
  // A request from `source` was answered 401.
  void authFailed(const std::string& source);
  // Takes one request from `agent`'s budget: 0, or the seconds to wait (counted as refused).
  int callerThrottled(const std::string& agent);

  // A held stream slot; the slot is given back when the last copy goes.
  using StreamSlot = std::shared_ptr<void>;
  // A slot for one more stream of `agent`, or nullopt with `why` (counted as refused).
  std::optional<StreamSlot> openStream(const std::string& agent, Refusal& why);
  int openStreams() const;

  const config::ApiLimitSettings& limits() const { return limits_; }
  ApiLimitMetrics& metrics() { return metrics_; }

 private:
  const config::ApiLimitSettings limits_;
  const Clock& clock_;
  ApiLimitMetrics& metrics_;
  mutable std::mutex mutex_;
  KeyedBuckets failed_auth_;
  KeyedBuckets callers_;
  StreamQuota streams_;
};

}  // namespace callmesh::notification
