#pragma once

#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <zmq.hpp>

#include "services/notification/missed_call_ledger.h"
#include "shared/base/result.h"
#include "shared/log/logger.h"

namespace callmesh::notification {

struct NotificationMetrics {
  explicit NotificationMetrics(prometheus::Registry& registry);
  prometheus::Counter& missed_calls;  // records created
  prometheus::Counter& duplicates;    // re-delivered events that changed nothing
  prometheus::Counter& events;
  prometheus::Counter& redis_errors;
  prometheus::Counter& decode_errors;
};

// Takes CallEvents; an unanswered end becomes one missed-call record; acks after Redis holds it.
class NotificationService {
 public:
  NotificationService(MissedCallLedger& ledger, NotificationMetrics& metrics, Logger& log)
      : ledger_(ledger), metrics_(metrics), log_(log) {}

  Result<std::vector<uint8_t>> handleCallEvent(const zmq::message_t& payload);
  bool redisHealthy() const { return redis_healthy_; }

 private:
  MissedCallLedger& ledger_;
  NotificationMetrics& metrics_;
  Logger& log_;
  bool redis_healthy_ = true;
};

}  // namespace callmesh::notification
