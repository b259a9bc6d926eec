#include "services/notification/missed_call_ledger.h"

namespace callmesh::notification {

namespace {
// KEYS: record key, unclaimed index. ARGV: call id, number, caller, rung (comma list), at ms.
constexpr const char* kRecordLua = R"lua(
if redis.call('HSETNX', KEYS[1], 'call_id', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'number', ARGV[2], 'caller', ARGV[3], 'rung', ARGV[4],
           'ended_at_ms', ARGV[5], 'state', 'unclaimed')
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
return 1
)lua";
}  // namespace

Result<bool> MissedCallLedger::record(const MissedCall& call) {
  if (record_script_.body.empty()) record_script_.body = kRecordLua;
  std::string rung;
  for (const auto& r : call.rung) {
    if (!rung.empty()) rung += ',';
    rung += r;
  }
  auto reply = redis_.evalScript(
      record_script_, {recordKey(call.call_id), kUnclaimedKey},
      {call.call_id, call.number, call.caller, rung, std::to_string(call.ended_at_ms)});
  if (!reply.ok()) return reply.error();
  if (reply->type != redis::RedisReply::Type::Integer) {
    return Error{ErrorKind::Internal, reply->text, "missed call record"};
  }
  return reply->integer == 1;
}

Result<int64_t> MissedCallLedger::unclaimedCount() {
  auto r = redis_.command({"ZCARD", kUnclaimedKey});
  if (!r.ok()) return r.error();
  return r->integer;
}

}  // namespace callmesh::notification
