#pragma once

#include <memory>
#include <vector>

#include <zmq.hpp>

#include "schemas/limiter.capnp.h"
#include "services/concurrency-limiter/failover_hold.h"
#include "services/concurrency-limiter/limiter_metrics.h"
#include "services/concurrency-limiter/slot_ledger.h"
#include "shared/base/clock.h"
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

  // Serves requests that arrived together, one reply per payload in order: each run of
  // consecutive acquires shares one Redis round trip (SlotLedger::acquireMany), anything else is
  // served on its own by handle(), after the acquires before it. The limiter waits on Redis one
  // request at a time, so under load the requests that queued meanwhile are served this way.
  std::vector<Result<std::vector<uint8_t>>> handleBatch(
      const std::vector<const zmq::message_t*>& payloads);

  bool redisHealthy() const { return redis_healthy_; }

  // Refuse new calls for `hold_ms` each time `redis` moves to a new primary, re-adding live calls'
  // leases from their renewals meanwhile (FailoverHold). Without this call there is no hold.
  void holdAfterFailover(const redis::RedisClient& redis, const Clock& clock, int64_t hold_ms) {
    failover_redis_ = &redis;
    clock_ = &clock;
    hold_ = FailoverHold(hold_ms);
  }

 private:
  static Result<AcquireAsk> acquireAsk(schema::LimiterRequest::Reader req);
  // Decides acquires (one alone, or several in one round trip), one encoded reply each.
  std::vector<std::vector<uint8_t>> decideAcquires(const std::vector<AcquireAsk>& asks);
  std::vector<uint8_t> grantReply(const AcquireAsk& ask, const SlotState& st);
  std::vector<uint8_t> redisFailed(const Error& e, const char* op);
  static std::vector<uint8_t> failedReply(const std::string& why);
  // Reads the client's primary epoch; true when it moved since the last look.
  bool primaryMoved();
  bool holding() const { return clock_ && hold_.holding(clock_->steadyMs()); }

  SlotLedger& ledger_;
  LimiterMetrics& metrics_;
  Logger& log_;
  bool redis_healthy_ = true;
  const redis::RedisClient* failover_redis_ = nullptr;
  const Clock* clock_ = nullptr;
  FailoverHold hold_{0};
};

}  // namespace callmesh::concurrency_limiter
