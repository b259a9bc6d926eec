#include "services/notification/webhook_dispatcher.h"

#include <chrono>

#include "services/notification/webhook_rules.h"

namespace callmesh::notification {

namespace {
// Idle workers look for due deliveries this often: the delay a new event waits at most.
constexpr int64_t kIdlePollMs = 200;
constexpr int64_t kRedisPauseMs = 1000;
constexpr int kFanOutBatch = 200;

// Only printable ASCII goes into a header (ids carry Call-IDs, which came from SIP).
std::string headerSafe(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c >= 0x20 && c < 0x7f) out += c;
  }
  return out.substr(0, 512);
}
}  // namespace

WebhookMetrics::WebhookMetrics(prometheus::Registry& registry)
    : deliveries_family(prometheus::BuildCounter()
                            .Name("callmesh_notification_webhook_deliveries_total")
                            .Help("Webhook delivery attempts by result (delivered, failed, dead, "
                                  "dropped)")
                            .Register(registry)),
      queue_depth(prometheus::BuildGauge()
                      .Name("callmesh_notification_webhook_queue_depth")
                      .Help("Webhook deliveries waiting or in flight, all replicas")
                      .Register(registry)
                      .Add({})),
      dead_letters(prometheus::BuildGauge()
                       .Name("callmesh_notification_webhook_dead_letters")
                       .Help("Webhook deliveries given up and kept as dead letters")
                       .Register(registry)
                       .Add({})),
      redis_errors(prometheus::BuildCounter()
                       .Name("callmesh_notification_webhook_redis_errors_total")
                       .Help("Redis failures of the webhook dispatcher (it pauses and retries)")
                       .Register(registry)
                       .Add({})) {}

WebhookDispatcher::WebhookDispatcher(WebhookBook& book, WebhookMetrics& metrics, const Clock& clock,
                                     Logger& log)
    : book_(book), metrics_(metrics), clock_(clock), log_(log) {
  const auto& s = book.settings();
  limits_.connect_timeout_ms = s.connect_timeout_ms;
  limits_.request_timeout_ms = s.request_timeout_ms;
}

WebhookDispatcher::~WebhookDispatcher() { stop(); }

void WebhookDispatcher::start() {
  for (int i = 0; i < book_.settings().workers; ++i) {
    threads_.emplace_back([this, i] { run(static_cast<size_t>(i)); });
  }
}

void WebhookDispatcher::stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WebhookDispatcher::pause(int64_t ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stop_ && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void WebhookDispatcher::run(size_t worker) {
  // A lease outlasts one attempt (connect + request) with room to record its result.
  const int64_t lease_ms = limits_.connect_timeout_ms + limits_.request_timeout_ms + 5000;
  int64_t next_gauges_ms = 0;
  while (!stop_) {
    int64_t now = clock_.nowMs();
    auto fanned = book_.fanOut(now, kFanOutBatch);
    if (!fanned.ok()) {
      metrics_.redis_errors.Increment();
      log_.warn("webhook_redis_error", {{"error", fanned.error().describe()}});
      pause(kRedisPauseMs);
      continue;
    }
    if (worker == 0 && now >= next_gauges_ms) {
      next_gauges_ms = now + 1000;
      if (auto depth = book_.queueDepth(); depth.ok()) {
        metrics_.queue_depth.Set(static_cast<double>(*depth));
      }
      if (auto dead = book_.deadCount(); dead.ok()) {
        metrics_.dead_letters.Set(static_cast<double>(*dead));
      }
    }
    auto due = book_.claimDue(now, lease_ms, 1);
    if (!due.ok()) {
      metrics_.redis_errors.Increment();
      pause(kRedisPauseMs);
      continue;
    }
    if (due->empty()) {
      if (*fanned == 0) pause(kIdlePollMs);
      continue;
    }
    for (const auto& d : *due) {
      if (!deliver(d)) pause(kRedisPauseMs);
    }
  }
}

bool WebhookDispatcher::deliver(const WebhookDelivery& d) {
  auto sub = book_.subscription(d.subscription);
  if (!sub.ok()) {
    metrics_.redis_errors.Increment();
    return false;
  }
  if (!*sub) {  // unsubscribed since: nobody to deliver to
    metrics_.deliveries("dropped").Increment();
    return book_.succeeded(d).ok();
  }
  auto url = parseWebhookUrl((*sub)->url);
  Result<int> status = url.ok() ? Result<int>(0) : Result<int>(url.error());
  if (url.ok()) {
    WebhookRequest req{*url, d.body, {}};
    int64_t unix_s = clock_.nowMs() / 1000;
    req.headers = {{"X-Callmesh-Signature", webhookSignature((*sub)->secret, unix_s, d.body)},
                   {"X-Callmesh-Event", headerSafe(d.type)},
                   {"X-Callmesh-Idempotency-Key", headerSafe(d.event_id)},
                   {"X-Callmesh-Delivery-Attempt", std::to_string(d.attempts + 1)}};
    status = postWebhook(req, limits_);
  }
  if (status.ok() && *status >= 200 && *status < 300) {
    metrics_.deliveries("delivered").Increment();
    if (auto st = book_.succeeded(d); !st.ok()) {
      metrics_.redis_errors.Increment();
      return false;  // delivered again after the lease: at least once
    }
    return true;
  }
  std::string error =
      status.ok() ? "receiver answered " + std::to_string(*status) : status.error().describe();
  auto dead = book_.failed(d, error, clock_.nowMs());
  if (!dead.ok()) {
    metrics_.redis_errors.Increment();
    return false;
  }
  metrics_.deliveries(*dead ? "dead" : "failed").Increment();
  if (*dead) {
    log_.warn("webhook_dead_letter", {{"delivery", d.id}, {"error", error}});
  }
  return true;
}

}  // namespace callmesh::notification
