#include "services/agent-presence/presence_ledger.h"

namespace callmesh::agent_presence {

namespace {

// KEYS: call key, agent key. ARGV: agent id, at ms. Counts the answer once per call.
constexpr const char* kAnsweredLua = R"lua(
if redis.call('HSETNX', KEYS[1], 'answered_by', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'answered')
if ARGV[1] ~= '' then
  redis.call('HINCRBY', KEYS[2], 'on_call', 1)
  redis.call('HSET', KEYS[2], 'changed_at_ms', ARGV[2])
end
return 1
)lua";

// KEYS: call key. ARGV: at ms. Ends the call once; frees its agent and its number.
// The agent and number keys are derived inside the script from the call record, so this
// script touches keys it was not passed: acceptable on a single Redis; on Redis Cluster the
// ingress-side hash tags would need the agent id passed in (see docs/scale-plan.md).
constexpr const char* kEndedLua = R"lua(
if redis.call('HSETNX', KEYS[1], 'ended', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'ended')
local agent = redis.call('HGET', KEYS[1], 'answered_by')
if agent and agent ~= '' then
  local k = 'cm:agent:{' .. agent .. '}'
  if tonumber(redis.call('HGET', k, 'on_call') or '0') > 0 then
    redis.call('HINCRBY', k, 'on_call', -1)
  end
  redis.call('HSET', k, 'changed_at_ms', ARGV[1])
end
local number = redis.call('HGET', KEYS[1], 'number')
if number then
  redis.call('SREM', 'cm:number:{' .. number .. '}:oncall', ARGV[2])
end
redis.call('EXPIRE', KEYS[1], 3600)
return 1
)lua";

Status asStatus(const Result<redis::RedisReply>& r, const char* op) {
  if (!r.ok()) return r.error();
  if (r->type == redis::RedisReply::Type::Error) {
    return Error{ErrorKind::Internal, r->text, std::string("presence ") + op};
  }
  return {};
}

}  // namespace

Status PresenceLedger::offered(const std::string& call_id, const std::string& number,
                               int64_t at_ms) {
  auto r = redis_.pipeline({{"HSETNX", callKey(call_id), "number", number},
                            {"HSETNX", callKey(call_id), "state", "offered"},
                            {"HSETNX", callKey(call_id), "offered_at_ms", std::to_string(at_ms)},
                            {"EXPIRE", callKey(call_id), "86400"}});
  if (!r.ok()) return r.error();
  // A redelivered `offered` after `ended` must not put the call back on the number.
  auto ended = redis_.command({"HEXISTS", callKey(call_id), "ended"});
  if (!ended.ok()) return ended.error();
  if (ended->integer == 0) {
    return asStatus(redis_.command({"SADD", numberKey(number), call_id}), "offered");
  }
  return {};
}

Status PresenceLedger::answered(const std::string& call_id, const std::string& agent_id,
                                int64_t at_ms) {
  if (answered_script_.body.empty()) answered_script_.body = kAnsweredLua;
  return asStatus(redis_.evalScript(answered_script_, {callKey(call_id), agentKey(agent_id)},
                                    {agent_id, std::to_string(at_ms)}),
                  "answered");
}

Status PresenceLedger::ended(const std::string& call_id, int64_t at_ms) {
  if (ended_script_.body.empty()) ended_script_.body = kEndedLua;
  return asStatus(
      redis_.evalScript(ended_script_, {callKey(call_id)}, {std::to_string(at_ms), call_id}),
      "ended");
}

Result<int64_t> PresenceLedger::agentOnCall(const std::string& agent_id) {
  auto r = redis_.command({"HGET", agentKey(agent_id), "on_call"});
  if (!r.ok()) return r.error();
  if (r->isNil()) return int64_t{0};
  return static_cast<int64_t>(std::stoll(r->text));
}

Result<int64_t> PresenceLedger::numberOnCall(const std::string& number) {
  auto r = redis_.command({"SCARD", numberKey(number)});
  if (!r.ok()) return r.error();
  return r->integer;
}

}  // namespace callmesh::agent_presence
