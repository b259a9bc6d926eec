#include "services/notification/index_trim.h"

#include <string>
#include <vector>

#include "shared/redis/keys.h"

namespace callmesh::notification {

namespace {

// KEYS: the ledger, then the indexes due. ARGV: now ms, horizon ms (entries scored before it are
// past retention). Returns the entries removed. An index left empty is gone from Redis (an empty
// sorted set is deleted) and leaves the ledger; the next record written to it adds it back.
constexpr const char* kTrimLua = R"lua(
local removed = 0
for i = 2, #KEYS do
  removed = removed + redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[2])
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('ZADD', KEYS[1], ARGV[1], KEYS[i])
  else
    redis.call('ZREM', KEYS[1], KEYS[i])
  end
end
return removed
)lua";

}  // namespace

IndexTrimmer::IndexTrimmer(redis::RedisClient& redis, config::RetentionSettings retention)
    : redis_(redis), retention_(retention) {
  script_.body = kTrimLua;
}

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
  std::vector<std::string> keys{ledger};
  for (const auto& e : due->elements) keys.push_back(e.text);
  auto removed =
      redis_.evalScript(script_, keys, {std::to_string(now_ms), std::to_string(horizon_ms)});
  if (!removed.ok()) return removed.error();
  if (removed->type != redis::RedisReply::Type::Integer) {
    return Error{ErrorKind::Internal, "unexpected trim reply: " + removed->text, ledger};
  }
  pass.indexes = static_cast<int64_t>(due->elements.size());
  pass.entries = removed->integer;
  return pass;
}

}  // namespace callmesh::notification
