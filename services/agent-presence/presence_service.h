#pragma once

#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <zmq.hpp>

#include "services/agent-presence/presence_ledger.h"
#include "shared/base/result.h"
#include "shared/log/logger.h"

namespace callmesh::agent_presence {

struct PresenceMetrics {
  explicit PresenceMetrics(prometheus::Registry& registry);
  prometheus::Family<prometheus::Counter>& events_family;
  prometheus::Counter& redis_errors;
  prometheus::Counter& decode_errors;
  prometheus::Counter& event(const char* kind) { return events_family.Add({{"kind", kind}}); }
};

// Takes CallEvents, updates line state, acknowledges once the state is in Redis.
class PresenceService {
 public:
  PresenceService(PresenceLedger& ledger, PresenceMetrics& metrics, Logger& log)
      : ledger_(ledger), metrics_(metrics), log_(log) {}

  // Returns the EventAck, or an error (no ack: the publisher re-sends).
  Result<std::vector<uint8_t>> handleCallEvent(const zmq::message_t& payload);
  bool redisHealthy() const { return redis_healthy_; }

 private:
  PresenceLedger& ledger_;
  PresenceMetrics& metrics_;
  Logger& log_;
  bool redis_healthy_ = true;
};

}  // namespace callmesh::agent_presence
