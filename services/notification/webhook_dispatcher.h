#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "services/notification/webhook_book.h"
#include "services/notification/webhook_sender.h"
#include "shared/base/clock.h"
#include "shared/log/logger.h"

namespace callmesh::notification {

struct WebhookMetrics {
  explicit WebhookMetrics(prometheus::Registry& registry);
  // callmesh_notification_webhook_deliveries_total{result}: delivered (2xx), failed (an attempt
  // that will be retried), dead (given up: dead letter), dropped (its subscription was deleted).
  prometheus::Family<prometheus::Counter>& deliveries_family;
  prometheus::Gauge& queue_depth;   // deliveries waiting or in flight (all replicas)
  prometheus::Gauge& dead_letters;  // dead letters kept
  prometheus::Counter& redis_errors;
  prometheus::Counter& deliveries(const char* result) {
    return deliveries_family.Add({{"result", result}});
  }
};

// Delivers webhooks (issue 20) on `settings.workers` threads, each with its own connection to
// the receiver at a time (so outbound connections are bounded by the worker count). Each worker:
// fan outbox events out to deliveries, lease one due delivery, POST it signed (webhook_rules.h)
// with its idempotency key, then mark it delivered, or retried with backoff, or dead. The queue
// is Redis's, shared by every replica: a restart loses nothing, a delivery leased by a worker
// that died is due again when its lease ends (at least once). `book` must be safe from many
// threads (a SerializedRedisClient under it).
class WebhookDispatcher {
 public:
  WebhookDispatcher(WebhookBook& book, WebhookMetrics& metrics, const Clock& clock, Logger& log);
  ~WebhookDispatcher();
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  void start();
  void stop();  // within about one request timeout

 private:
  void run(size_t worker);
  // One delivery attempt; false when Redis failed (the worker pauses).
  bool deliver(const WebhookDelivery& d);
  void pause(int64_t ms);  // or until stop()
  // Nothing to do: wait for the next look at the queue (see the .cpp).
  void idle(size_t worker);
  void workFound();

  WebhookBook& book_;
  WebhookMetrics& metrics_;
  const Clock& clock_;
  Logger& log_;
  WebhookSendLimits limits_;
  std::atomic<bool> stop_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;  // stop(), or a worker found work
  uint64_t work_generation_ = 0;  // under wake_mutex_
  std::vector<std::thread> threads_;
};

}  // namespace callmesh::notification
