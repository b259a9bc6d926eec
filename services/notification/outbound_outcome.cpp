#include "services/notification/outbound_outcome.h"

#include "shared/redis/keys.h"

namespace callmesh::notification {

namespace {
// KEYS[1] cm:outbound:{<callee>}; ARGV: project, outcome, ended-at ms.
constexpr const char* kOutcomeLua = R"lua(
local prev = tonumber(redis.call('HGET', KEYS[1], 'outcome_at_ms:' .. ARGV[1]) or '0') or 0
if prev > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'outcome:' .. ARGV[1], ARGV[2], 'outcome_at_ms:' .. ARGV[1], ARGV[3])
return 1
)lua";
}  // namespace

OutboundOutcomes::OutboundOutcomes(redis::RedisClient& redis) : redis_(redis) {
  script_.body = kOutcomeLua;
}

Result<bool> OutboundOutcomes::record(const std::string& callee, const std::string& project,
                                      const std::string& outcome, int64_t ended_at_ms) {
  const std::string key = redis::outbound_keys::callee(callee);
  auto r = redis_.evalScript(script_, {key}, {project, outcome, std::to_string(ended_at_ms)});
  if (!r.ok()) return r.error();
  if (r->type != redis::RedisReply::Type::Integer) {
    return Error{ErrorKind::Internal, key + ": " + r->text, "outbound outcome"};
  }
  return r->integer == 1;
}

}  // namespace callmesh::notification
