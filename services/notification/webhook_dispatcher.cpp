#include "services/notification/webhook_dispatcher.h"

#include <chrono>

#include "services/notification/webhook_rules.h"

namespace callmesh::notification {

namespace {
// Idle workers look for due deliveries this often: the delay a new event waits at most.
constexpr int64_t kIdlePollMs = 200;
// Workers other than the first look this often on their own (see idle()).
constexpr int64_t kIdleBackstopMs = 2000;
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
  {
    std::lock_guard lock(wake_mutex_);  // a worker between its check and its wait still sees it
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WebhookDispatcher::pause(int64_t ms) {
  std::unique_lock lock(wake_mutex_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
}

void WebhookDispatcher::idle(size_t worker) {
  // Worker 0 watches the queue every kIdlePollMs; the others sleep until it (or any worker) finds
  // work, or kIdleBackstopMs passes while worker 0 is busy with a slow receiver. Four workers each
  // polling every 200 ms in 50 ms sleeps woke the notification 80 times a second and Redis 40
  // times with no webhook configured (tools/bench/idle_cluster.py).
  std::unique_lock lock(wake_mutex_);
  uint64_t seen = work_generation_;
  wake_.wait_for(lock, std::chrono::milliseconds(worker == 0 ? kIdlePollMs : kIdleBackstopMs),
                 [&] { return stop_.load() || work_generation_ != seen; });
}

void WebhookDispatcher::workFound() {
  {
    std::lock_guard lock(wake_mutex_);
    ++work_generation_;
  }
  wake_.notify_all();
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
      if (*fanned == 0) idle(worker);
      continue;
    }
    workFound();  // more may be due: idle workers look too
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
