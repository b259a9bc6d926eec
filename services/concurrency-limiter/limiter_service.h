#pragma once

#include <memory>
#include <vector>

#include <zmq.hpp>

#include "services/concurrency-limiter/limiter_metrics.h"
#include "services/concurrency-limiter/slot_ledger.h"
#include "shared/base/result.h"
#include "shared/log/logger.h"

namespace callmesh::concurrency_limiter {

// Translates LimiterRequest frames into SlotLedger calls and back. No sockets here: the
// ReplyServer hands payloads in, so tests can drive it directly.
class LimiterService {
 public:
  LimiterService(SlotLedger& ledger, LimiterMetrics& metrics, Logger& log)
      : ledger_(ledger), metrics_(metrics), log_(log) {}

  // Decodes a LimiterRequest, performs it, returns the encoded LimiterReply. Redis failures
  // become a `failed` reply (the ingress fails the call closed); undecodable input is an Error.
  Result<std::vector<uint8_t>> handle(const zmq::message_t& payload);

  bool redisHealthy() const { return redis_healthy_; }

 private:
  SlotLedger& ledger_;
  LimiterMetrics& metrics_;
  Logger& log_;
  bool redis_healthy_ = true;
};

}  // namespace callmesh::concurrency_limiter
