#include "services/agent-presence/presence_scripts.h"

#include <utility>

#include "shared/redis/keys.h"

namespace callmesh::agent_presence {

namespace {

namespace keys = redis::presence_keys;

// The Lua expression naming the key `build` (shared/redis/keys.h) gives for the id that the Lua
// expression `id` holds: luaKey(keys::agent, "a") is  'cm:agent:{' .. a .. '}'. A script that
// derives keys from a record still takes their names from their one builder.
std::string luaKey(std::string (*build)(const std::string&), const std::string& id) {
  return "'" + build("' .. " + id + " .. '") + "'";
}

// Each transition reads what it needs in one command and writes each key once: Redis's cost
// for a script is mostly per redis.call (argument objects, command lookup, reply conversion),
// not per field. A call answered on a plain phone went from 18 commands to 10.

// KEYS: call, the number's on-call set. ARGV: number, at ms, call id, caller, rule. Records the
// call once; a redelivered `offered` after `ended` must not put the call back on the number.
// Caller and rule are only shown (admins' live calls): the ingress bounds both (E.164 caps, rule
// names from config).
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
if not cur[4] then
  redis.call('SADD', KEYS[2], ARGV[3])
end
return {}
)lua";

// KEYS: call, agent. ARGV: agent, at ms. A leg rings once per call and agent; never after the end.
constexpr const char* kRingingLua = R"lua(
local cur = redis.call('HMGET', KEYS[1], 'ended', 'ring:' .. ARGV[1])
if cur[1] or cur[2] then return {} end
redis.call('HSET', KEYS[1], 'ring:' .. ARGV[1], '1')
redis.call('EXPIRE', KEYS[1], 86400)
redis.call('HINCRBY', KEYS[2], 'ringing', 1)
redis.call('HSET', KEYS[2], 'changed_at_ms', ARGV[2])
return {ARGV[1]}
)lua";

// KEYS: call, agent. ARGV: agent, at ms. The leg stopped ringing (failed, cancelled, answered).
// Marks it done so a late `legRinging` cannot make it ring again.
constexpr const char* kStopRingingLua = R"lua(
local v = redis.call('HGET', KEYS[1], 'ring:' .. ARGV[1])
redis.call('HSET', KEYS[1], 'ring:' .. ARGV[1], '0')
redis.call('EXPIRE', KEYS[1], 86400)
if v ~= '1' then return {} end
if tonumber(redis.call('HGET', KEYS[2], 'ringing') or '0') > 0 then
  redis.call('HINCRBY', KEYS[2], 'ringing', -1)
end
redis.call('HSET', KEYS[2], 'changed_at_ms', ARGV[2])
return {ARGV[1]}
)lua";

// KEYS: call, agent. ARGV: agent, at ms. Counts the answer once per call, and not after the end.
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
if cur[3] == '1' and tonumber(redis.call('HGET', KEYS[2], 'ringing') or '0') > 0 then
  redis.call('HINCRBY', KEYS[2], 'ringing', -1)
end
redis.call('HINCRBY', KEYS[2], 'on_call', 1)
redis.call('HSET', KEYS[2], 'changed_at_ms', ARGV[2])
return {ARGV[1]}
)lua";

// KEYS: call. ARGV: at ms, call id. Ends the call once; frees its agent, its ringing agents and
// its number. The agent and number keys are derived inside the script from the call record (their
// names still from keys.h, through luaKey): fine on a single Redis; on Redis Cluster they would
// have to be passed in (docs/redis-keys.md).
std::string endedLua() {
  return R"lua(
local fields = redis.call('HGETALL', KEYS[1])
local call = {}
for i = 1, #fields, 2 do call[fields[i]] = fields[i + 1] end
if call['ended'] then return {} end
local update = {'ended', ARGV[1], 'state', 'ended'}
local changed = {}
for i = 1, #fields, 2 do
  local f, v = fields[i], fields[i + 1]
  if string.sub(f, 1, 5) == 'ring:' and v == '1' then
    local a = string.sub(f, 6)
    local k = )lua" +
         luaKey(keys::agent, "a") + R"lua(
    update[#update + 1] = f
    update[#update + 1] = '0'
    if tonumber(redis.call('HGET', k, 'ringing') or '0') > 0 then
      redis.call('HINCRBY', k, 'ringing', -1)
    end
    redis.call('HSET', k, 'changed_at_ms', ARGV[1])
    changed[#changed + 1] = a
  end
end
redis.call('HSET', KEYS[1], unpack(update))
local agent = call['answered_by']
if agent and agent ~= '' and call['counted'] == '1' then
  local k = )lua" +
         luaKey(keys::agent, "agent") + R"lua(
  local on_call = tonumber(redis.call('HGET', k, 'on_call') or '0')
  if on_call > 0 then on_call = redis.call('HINCRBY', k, 'on_call', -1) end
  if on_call == 0 then
    redis.call('HSET', k, 'idle_since_ms', ARGV[1], 'changed_at_ms', ARGV[1])
  else
    redis.call('HSET', k, 'changed_at_ms', ARGV[1])
  end
  changed[#changed + 1] = agent
end
if call['number'] then
  redis.call('SREM', )lua" +
         luaKey(keys::numberOnCall, "call['number']") + R"lua(, ARGV[2])
end
redis.call('EXPIRE', KEYS[1], 3600)
return changed
)lua";
}

// KEYS: call, the number's on-call set, the answering agent ('' : a plain phone). ARGV: number,
// offered at, call id, caller, rule, answered at ('' : not answered), ended at ('' : still up).
// A call offered, answered on a plain phone and/or ended within one batch (folded by
// presence_fold.h). A call Redis has not seen gets its final record in one write: the same
// fields, state and expiry as its transitions one by one leave, and no on-call membership when it
// ended (it would be added and removed again). A call Redis knows already (a redelivered batch)
// runs each transition in turn instead, as when they came apart. 3 commands instead of 10 for a
// call that ends within one batch, 4 instead of 6 for one offered and answered.
constexpr const char* kFoldedLua = R"lua(
local offered = {KEYS[1], KEYS[2]}
if redis.call('EXISTS', KEYS[1]) == 1 then
  transition['o'](offered, {ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]})
  if ARGV[6] ~= '' then transition['a']({KEYS[1], KEYS[3]}, {'', ARGV[6]}) end
  if ARGV[7] ~= '' then return transition['e']({KEYS[1]}, {ARGV[7], ARGV[3]}) end
  return {}
end
local set = {'number', ARGV[1], 'caller', ARGV[4] or '', 'rule', ARGV[5] or '',
             'offered_at_ms', ARGV[2]}
local state = 'offered'
if ARGV[6] ~= '' then
  set[#set + 1] = 'answered_by'; set[#set + 1] = ''
  state = 'answered'
end
if ARGV[7] ~= '' then
  set[#set + 1] = 'ended'; set[#set + 1] = ARGV[7]
  state = 'ended'
end
set[#set + 1] = 'state'; set[#set + 1] = state
redis.call('HSET', KEYS[1], unpack(set))
if state == 'ended' then
  redis.call('EXPIRE', KEYS[1], 3600)
else
  redis.call('EXPIRE', KEYS[1], 86400)
  redis.call('SADD', KEYS[2], ARGV[3])
end
return {}
)lua";

// One script call applies a whole batch: each event runs the body of its own transition above,
// unchanged, as a function of its own KEYS and ARGV. One call per batch instead of one per event
// (about 1 instead of 3 per call): Redis's script time fell from 311 to 289 ms per 5,000 calls
// (INFO commandstats); most of it is the transitions' own Lua and commands. pcall keeps an
// event's error to that event, as when each was its own script: the events before it stay
// applied and the ones after it still run.
// ARGV, per event: kind letter, key count, argument count, then its arguments; KEYS in order.
}  // namespace

std::string presenceBatchScript() {
  std::string lua = "local transition = {}\n";
  const std::pair<const char*, std::string> bodies[] = {{"o", kOfferedLua},     {"r", kRingingLua},
                                                        {"s", kStopRingingLua}, {"a", kAnsweredLua},
                                                        {"e", endedLua()},      {"f", kFoldedLua}};
  for (const auto& [kind, body] : bodies) {
    lua += std::string("transition['") + kind + "'] = function(KEYS, ARGV)\n" + body + "end\n";
  }
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

}  // namespace callmesh::agent_presence
