#include "services/notification/index_trim.h"

#include <string>
#include <vector>

#include "shared/redis/keys.h"

namespace callmesh::notification {

IndexTrimmer::IndexTrimmer(redis::RedisClient& redis, config::RetentionSettings retention)
    : redis_(redis), retention_(retention) {}

Result<IndexTrimPass> IndexTrimmer::trimOldest(int64_t now_ms, int batch, int64_t min_age_ms) {
  namespace nk = redis::notification_keys;
  IndexTrimPass total;
  for (auto [ledger, keep_ms] : {std::pair{nk::kTrimLedgerUnclaimed, retention_.unclaimed_ms},
                                 std::pair{nk::kTrimLedgerHandled, retention_.handled_ms}}) {
    auto pass = trimLedger(ledger, now_ms - keep_ms, now_ms, batch, min_age_ms);
    if (!pass.ok()) return pass.error();
    total.indexes += pass->indexes;
    total.entries += pass->entries;
  }
  return total;
}

Result<IndexTrimPass> IndexTrimmer::trimLedger(const char* ledger, int64_t horizon_ms,
                                               int64_t now_ms, int batch, int64_t min_age_ms) {
  auto due = redis_.command({"ZRANGEBYSCORE", ledger, "-inf", std::to_string(now_ms - min_age_ms),
                             "LIMIT", "0", std::to_string(batch)});
  if (!due.ok()) return due.error();
  if (due->type != redis::RedisReply::Type::Array) {
    return Error{ErrorKind::Internal, "unexpected reply: " + due->text, ledger};
  }
  IndexTrimPass pass;
  if (due->elements.empty()) return pass;
  // Plain commands, not one script: each index is its own key, and on Redis Cluster its own
  // slot (docs/redis-cluster.md). Trim every index due, then move it to the ledger's end, or out
  // of the ledger once it is empty (an empty sorted set is gone from Redis; the next record
  // written to it adds it back). An index written between the two steps may leave the ledger
  // until its next write: it is trimmed then, and its records expire by themselves meanwhile.
  std::vector<std::vector<std::string>> trims;
  const std::string horizon = "(" + std::to_string(horizon_ms);
  for (const auto& e : due->elements) {
    trims.push_back({"ZREMRANGEBYSCORE", e.text, "-inf", horizon});
    trims.push_back({"ZCARD", e.text});
  }
  auto trimmed = redis_.pipeline(trims);
  if (!trimmed.ok()) return trimmed.error();
  std::vector<std::vector<std::string>> ledger_moves;
  int64_t removed = 0;
  for (size_t i = 0; i < due->elements.size(); ++i) {
    const auto& gone = (*trimmed)[2 * i];
    const auto& left = (*trimmed)[2 * i + 1];
    if (gone.type != redis::RedisReply::Type::Integer ||
        left.type != redis::RedisReply::Type::Integer) {
      return Error{ErrorKind::Internal, "unexpected trim reply: " + gone.text + left.text,
                   due->elements[i].text};
    }
    removed += gone.integer;
    const std::string& index = due->elements[i].text;
    if (left.integer == 0) {
      ledger_moves.push_back({"ZREM", ledger, index});
    } else {
      ledger_moves.push_back({"ZADD", ledger, std::to_string(now_ms), index});
    }
  }
  auto moved = redis_.pipeline(ledger_moves);
  if (!moved.ok()) return moved.error();
  pass.indexes = static_cast<int64_t>(due->elements.size());
  pass.entries = removed;
  return pass;
}

}  // namespace callmesh::notification
