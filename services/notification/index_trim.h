#pragma once

// The periodic trim of record indexes (issue 17 item 6). Writes trim an index by time as they
// add to it, but an agent who stops working (left the company, on leave) never writes or reads
// their indexes again, and their expired entries would stay for ever. Every index written joins
// a ledger (a sorted set by last trim time, redis/keys.h kTrimLedger*); each tick trims the few
// indexes trimmed longest ago, and drops from the ledger those left empty. No SCAN: the work per
// tick is bounded by `batch`, whatever the keyspace holds. Safe from several replicas at once
// (trimming twice removes nothing more).
#include <cstdint>

#include "shared/base/result.h"
#include "shared/config/cluster_config.h"
#include "shared/redis/redis_client.h"

namespace callmesh::notification {

struct IndexTrimPass {
  int64_t indexes = 0;  // indexes trimmed in this pass
  int64_t entries = 0;  // index entries removed (past retention)
};

class IndexTrimmer {
 public:
  IndexTrimmer(redis::RedisClient& redis, config::RetentionSettings retention);

  // Trims at most `batch` indexes per ledger, each last trimmed before now_ms - min_age_ms.
  Result<IndexTrimPass> trimOldest(int64_t now_ms, int batch, int64_t min_age_ms);

 private:
  Result<IndexTrimPass> trimLedger(const char* ledger, int64_t horizon_ms, int64_t now_ms,
                                   int batch, int64_t min_age_ms);

  redis::RedisClient& redis_;
  config::RetentionSettings retention_;
};

}  // namespace callmesh::notification
