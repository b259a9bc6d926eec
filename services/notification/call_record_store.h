#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "services/notification/call_record.h"
#include "services/notification/webhook_outbox.h"
#include "shared/base/result.h"
#include "shared/config/cluster_config.h"
#include "shared/redis/redis_client.h"
#include "shared/redis/replica_ack.h"

namespace callmesh::notification {

// Which records a query wants (GET /v1/call-records): every filter given must match.
struct CallRecordFilter {
  std::string number;   // the configured number the call was for
  std::string agent;    // an agent rung on any leg
  std::string outcome;  // one of kCallOutcomes
  int64_t from_ms = 0;  // ended at or after; 0 = no bound
  int64_t to_ms = 0;    // ended at or before; 0 = no bound
};

struct CallRecordPage {
  std::vector<nlohmann::json> records;  // callRecordJson form, newest first
  std::string next_cursor;              // empty: nothing older matches
};

// Call detail records in Redis (docs/redis-keys.md `cm:{cdr}:*`): one stream entry per call,
// written by a Lua script that is idempotent on the Call-ID (`cm:{cdr}:call:<id>` holds the
// entry id: a re-sent `ended` event finds it and writes nothing) and adds the entry to the
// indexes (all, number, each agent rung, outcome). One script call writes a whole batch of
// records and then trims, once per batch, the stream and each index it wrote to the retention
// (XADD MINID ~ by the call's end less retention, XTRIM MAXLEN ~ max_records; ZREMRANGEBYSCORE
// below the index's newest end less retention; PEXPIRE retention, so idle indexes expire).
// Every key has the `{cdr}` hash tag, so the script is single-slot (Redis Cluster too).
// Right after it, while webhooks are subscribed, call.ended / call.missed are queued in the
// webhook outbox (webhook_outbox.h: idempotent by event id, redone on a re-sent `ended`), one
// outbox script call per batch too.
// Index entries whose stream entry was trimmed are dropped (and removed) when read.
// Thread ownership: none; safe from many threads when `redis` is.
class CallRecordStore {
 public:
  CallRecordStore(redis::RedisClient& redis, config::CallRecordSettings settings,
                  redis::ReplicaAck ack = {});

  // True when this call wrote the record, false when it was there already.
  Result<bool> write(const CallRecord& record);
  // Several records (an event batch's ends) in two round trips instead of two each: one script
  // call per 200 records, then, once all are written (and acknowledged by the replicas
  // redis.replica_acks asks for), their webhook events, one outbox call per 200 records, so an
  // event is never queued for a record that failed. One flag per record as write() gives it; the
  // first failure is the error (the caller retries the batch: both scripts are idempotent).
  Result<std::vector<bool>> writeMany(const std::vector<CallRecord>& records);
  // One page, newest first, at most `limit` records after `cursor` (empty = the first page). A
  // page may hold fewer than `limit` and still have a next cursor when filters skipped many.
  // InvalidInput for a cursor this store did not give.
  Result<CallRecordPage> query(const CallRecordFilter& filter, const std::string& cursor,
                               size_t limit);
  Result<std::optional<nlohmann::json>> get(const std::string& call_id);

 private:
  // Adds the record's keys and arguments to a batch's script run, and its webhook events.
  void appendRecord(const CallRecord& r, redis::ScriptCall& call,
                    std::vector<WebhookEvent>& events);

  redis::RedisClient& redis_;
  config::CallRecordSettings settings_;
  redis::ReplicaAck ack_;
  redis::RedisScript write_script_;
  WebhookOutbox outbox_;
};

}  // namespace callmesh::notification
