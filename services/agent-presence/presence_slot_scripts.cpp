#include "services/agent-presence/presence_slot_scripts.h"

#include <utility>

namespace callmesh::agent_presence {

namespace {

// The call-slot halves of presence_scripts.cpp's transitions: the same reads and writes of the
// call record, with every write to an agent or number key replaced by a follow-up in the reply.

// KEYS: call. ARGV: number, at ms, call id, caller, rule.
constexpr const char* kOfferedLua = R"lua(
local cur = redis.call('HMGET', KEYS[1], 'number', 'state', 'offered_at_ms', 'ended')
local set = {}
if not cur[1] then
  set[#set + 1] = 'number'; set[#set + 1] = ARGV[1]
  set[#set + 1] = 'caller'; set[#set + 1] = ARGV[4] or ''
  set[#set + 1] = 'rule'; set[#set + 1] = ARGV[5] or ''
end
if not cur[2] then set[#set + 1] = 'state'; set[#set + 1] = 'offered' end
if not cur[3] then set[#set + 1] = 'offered_at_ms'; set[#set + 1] = ARGV[2] end
if #set > 0 then redis.call('HSET', KEYS[1], unpack(set)) end
redis.call('EXPIRE', KEYS[1], 86400)
if cur[4] then return {} end
return {'n+', ARGV[1]}
)lua";

// KEYS: call. ARGV: agent, at ms.
constexpr const char* kRingingLua = R"lua(
local cur = redis.call('HMGET', KEYS[1], 'ended', 'ring:' .. ARGV[1])
if cur[1] or cur[2] then return {} end
redis.call('HSET', KEYS[1], 'ring:' .. ARGV[1], '1')
redis.call('EXPIRE', KEYS[1], 86400)
return {'r+', ARGV[1]}
)lua";

// KEYS: call. ARGV: agent, at ms.
constexpr const char* kStopRingingLua = R"lua(
local v = redis.call('HGET', KEYS[1], 'ring:' .. ARGV[1])
redis.call('HSET', KEYS[1], 'ring:' .. ARGV[1], '0')
redis.call('EXPIRE', KEYS[1], 86400)
if v ~= '1' then return {} end
return {'r-', ARGV[1]}
)lua";

// KEYS: call. ARGV: agent, at ms.
constexpr const char* kAnsweredLua = R"lua(
local ring = 'ring:' .. ARGV[1]
local cur = redis.call('HMGET', KEYS[1], 'answered_by', 'ended', ring)
if cur[1] then return {} end
if cur[2] then
  redis.call('HSET', KEYS[1], 'answered_by', ARGV[1])
  return {}
end
if ARGV[1] == '' then
  redis.call('HSET', KEYS[1], 'answered_by', ARGV[1], 'state', 'answered')
  return {}
end
redis.call('HSET', KEYS[1], 'answered_by', ARGV[1], 'state', 'answered', ring, '0', 'counted', '1')
if cur[3] == '1' then return {'a1', ARGV[1]} end
return {'a0', ARGV[1]}
)lua";

// KEYS: call. ARGV: at ms, call id.
constexpr const char* kEndedLua = R"lua(
local fields = redis.call('HGETALL', KEYS[1])
local call = {}
for i = 1, #fields, 2 do call[fields[i]] = fields[i + 1] end
if call['ended'] then return {} end
local update = {'ended', ARGV[1], 'state', 'ended'}
local follow = {}
for i = 1, #fields, 2 do
  local f, v = fields[i], fields[i + 1]
  if string.sub(f, 1, 5) == 'ring:' and v == '1' then
    update[#update + 1] = f
    update[#update + 1] = '0'
    follow[#follow + 1] = 'r-'
    follow[#follow + 1] = string.sub(f, 6)
  end
end
redis.call('HSET', KEYS[1], unpack(update))
local agent = call['answered_by']
if agent and agent ~= '' and call['counted'] == '1' then
  follow[#follow + 1] = 'e'
  follow[#follow + 1] = agent
end
if call['number'] then
  follow[#follow + 1] = 'n-'
  follow[#follow + 1] = call['number']
end
redis.call('EXPIRE', KEYS[1], 3600)
return follow
)lua";

}  // namespace

std::string presenceCallBatchScript() {
  std::string lua = "local transition = {}\n";
  const std::pair<const char*, const char*> bodies[] = {{"o", kOfferedLua},
                                                        {"r", kRingingLua},
                                                        {"s", kStopRingingLua},
                                                        {"a", kAnsweredLua},
                                                        {"e", kEndedLua}};
  for (const auto& [kind, body] : bodies) {
    lua += std::string("transition['") + kind + "'] = function(KEYS, ARGV)\n" + body + "end\n";
  }
  // The same runner as presenceBatchScript(): an event's error stays that event's.
  lua += R"lua(
local out, k, a = {}, 1, 1
while a <= #ARGV do
  local kind, nkeys, nargs = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local keys, args = {}, {}
  for j = 1, nkeys do keys[j] = KEYS[k + j - 1] end
  for j = 1, nargs do args[j] = ARGV[a + 2 + j] end
  k, a = k + nkeys, a + 3 + nargs
  local ok, res = pcall(transition[kind], keys, args)
  if ok then
    out[#out + 1] = res
  elseif type(res) == 'table' and res.err then
    out[#out + 1] = res
  else
    out[#out + 1] = {err = tostring(res)}
  end
end
return out
)lua";
  return lua;
}

// The agent halves: exactly the agent writes of presence_scripts.cpp's transitions.
std::string presenceAgentScript() {
  return R"lua(
for i = 1, #KEYS do
  local k, op, at = KEYS[i], ARGV[2 * i - 1], ARGV[2 * i]
  if op == 'r+' then
    redis.call('HINCRBY', k, 'ringing', 1)
    redis.call('HSET', k, 'changed_at_ms', at)
  elseif op == 'r-' or op == 'a1' then
    if tonumber(redis.call('HGET', k, 'ringing') or '0') > 0 then
      redis.call('HINCRBY', k, 'ringing', -1)
    end
    if op == 'a1' then redis.call('HINCRBY', k, 'on_call', 1) end
    redis.call('HSET', k, 'changed_at_ms', at)
  elseif op == 'a0' then
    redis.call('HINCRBY', k, 'on_call', 1)
    redis.call('HSET', k, 'changed_at_ms', at)
  elseif op == 'e' then
    local on_call = tonumber(redis.call('HGET', k, 'on_call') or '0')
    if on_call > 0 then on_call = redis.call('HINCRBY', k, 'on_call', -1) end
    if on_call == 0 then
      redis.call('HSET', k, 'idle_since_ms', at, 'changed_at_ms', at)
    else
      redis.call('HSET', k, 'changed_at_ms', at)
    end
  end
end
return #KEYS
)lua";
}

}  // namespace callmesh::agent_presence
