#include "services/agent-presence/presence_ledger.h"

#include "shared/codec/availability_names.h"
#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"

namespace callmesh::agent_presence {

namespace {

namespace keys = redis::presence_keys;

// Each transition reads what it needs in one command and writes each key once: Redis's cost
// for a script is mostly per redis.call (argument objects, command lookup, reply conversion),
// not per field. A call answered on a plain phone went from 18 commands to 10.

// KEYS: call, the number's on-call set. ARGV: number, at ms, call id. Records the call once; a
// redelivered `offered` after `ended` must not put the call back on the number.
constexpr const char* kOfferedLua = R"lua(
local cur = redis.call('HMGET', KEYS[1], 'number', 'state', 'offered_at_ms', 'ended')
local set = {}
if not cur[1] then set[#set + 1] = 'number'; set[#set + 1] = ARGV[1] end
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
// its number. The agent and number keys are derived inside the script from the call record:
// fine on a single Redis; on Redis Cluster they would have to be passed in (docs/redis-keys.md).
constexpr const char* kEndedLua = R"lua(
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
    local k = 'cm:agent:{' .. a .. '}'
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
  local k = 'cm:agent:{' .. agent .. '}'
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
  redis.call('SREM', 'cm:number:{' .. call['number'] .. '}:oncall', ARGV[2])
end
redis.call('EXPIRE', KEYS[1], 3600)
return changed
)lua";

Status asStatus(const Result<redis::RedisReply>& r, const char* op) {
  if (!r.ok()) return r.error();
  if (r->type == redis::RedisReply::Type::Error) {
    return Error{ErrorKind::Internal, r->text, std::string("presence ") + op};
  }
  return {};
}

const char* opName(LineEvent::Kind kind) {
  switch (kind) {
    case LineEvent::Kind::Offered:
      return "presence offered";
    case LineEvent::Kind::LegRinging:
      return "presence ringing";
    case LineEvent::Kind::LegFailed:
      return "presence leg failed";
    case LineEvent::Kind::Answered:
      return "presence answered";
    case LineEvent::Kind::Ended:
      return "presence ended";
  }
  return "presence";
}

// A script's reply (the agents whose state changed) or the error Redis gave instead.
LineOutcome outcomeOf(const redis::RedisReply& r, LineEvent::Kind kind) {
  if (r.type == redis::RedisReply::Type::Error) {
    return Error{ErrorKind::Internal, r.text, opName(kind)};
  }
  std::vector<std::string> changed;
  changed.reserve(r.elements.size());
  for (const auto& e : r.elements) changed.push_back(e.text);
  return changed;
}

}  // namespace

namespace {

// One script call applies a whole batch: each event runs the body of its own transition above,
// unchanged, as a function of its own KEYS and ARGV. One call per batch instead of one per event
// (about 1 instead of 3 per call): Redis's script time fell from 311 to 289 ms per 5,000 calls
// (INFO commandstats); most of it is the transitions' own Lua and commands. pcall keeps an
// event's error to that event, as when each was its own script: the events before it stay
// applied and the ones after it still run.
// ARGV, per event: kind letter, key count, argument count, then its arguments; KEYS in order.
std::string batchScript() {
  std::string lua = "local transition = {}\n";
  const std::pair<const char*, const char*> bodies[] = {{"o", kOfferedLua},
                                                        {"r", kRingingLua},
                                                        {"s", kStopRingingLua},
                                                        {"a", kAnsweredLua},
                                                        {"e", kEndedLua}};
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

// Bounds how long one script call holds Redis: a backlog replayed after an outage is sent as
// several calls in one pipeline.
constexpr size_t kEventsPerScriptCall = 200;

}  // namespace

PresenceLedger::PresenceLedger(redis::RedisClient& redis) : redis_(redis) {
  batch_script_.body = batchScript();
}

Status PresenceLedger::loadScript() {
  if (!batch_script_.sha.empty()) return {};
  auto loaded = redis_.pipeline({{"SCRIPT", "LOAD", batch_script_.body}});
  if (!loaded.ok()) return loaded.error();
  if (loaded->size() != 1 || loaded->front().type != redis::RedisReply::Type::String) {
    return Error{ErrorKind::Internal,
                 "SCRIPT LOAD failed: " + (loaded->empty() ? "no reply" : loaded->front().text),
                 "presence"};
  }
  batch_script_.sha = loaded->front().text;
  return {};
}

bool PresenceLedger::needsRedis(const LineEvent& e) {
  bool leg = e.kind == LineEvent::Kind::LegRinging || e.kind == LineEvent::Kind::LegFailed;
  return !(leg && e.agent_id.empty());
}

void PresenceLedger::appendEvent(const LineEvent& e, std::vector<std::string>& keys,
                                 std::vector<std::string>& args) {
  const std::string at = std::to_string(e.at_ms);
  auto add = [&](const char* kind, std::initializer_list<std::string> k,
                 std::initializer_list<std::string> a) {
    args.push_back(kind);
    args.push_back(std::to_string(k.size()));
    args.push_back(std::to_string(a.size()));
    keys.insert(keys.end(), k);
    args.insert(args.end(), a);
  };
  switch (e.kind) {
    case LineEvent::Kind::Offered:
      add("o", {keys::call(e.call_id), keys::numberOnCall(e.number)}, {e.number, at, e.call_id});
      break;
    case LineEvent::Kind::LegRinging:
      add("r", {keys::call(e.call_id), keys::agent(e.agent_id)}, {e.agent_id, at});
      break;
    case LineEvent::Kind::LegFailed:
      add("s", {keys::call(e.call_id), keys::agent(e.agent_id)}, {e.agent_id, at});
      break;
    case LineEvent::Kind::Answered:
      add("a", {keys::call(e.call_id), keys::agent(e.agent_id)}, {e.agent_id, at});
      break;
    case LineEvent::Kind::Ended:
      add("e", {keys::call(e.call_id)}, {at, e.call_id});
      break;
  }
}

Result<std::vector<LineOutcome>> PresenceLedger::applyEvents(const std::vector<LineEvent>& events) {
  std::vector<LineOutcome> outcomes(events.size(), LineOutcome(std::vector<std::string>{}));
  std::vector<std::vector<size_t>> chunks;  // indices of the events each script call carries
  for (size_t i = 0; i < events.size(); ++i) {
    if (!needsRedis(events[i])) continue;
    if (chunks.empty() || chunks.back().size() == kEventsPerScriptCall) chunks.emplace_back();
    chunks.back().push_back(i);
  }
  if (chunks.empty()) return outcomes;
  // Runs `chunks` as one pipeline of script calls; returns the chunks Redis had no script for.
  auto run = [&](const std::vector<std::vector<size_t>>& todo)
      -> Result<std::vector<std::vector<size_t>>> {
    std::vector<std::vector<std::string>> commands;
    for (const auto& chunk : todo) {
      std::vector<std::string> keys;
      std::vector<std::string> args;
      for (size_t i : chunk) appendEvent(events[i], keys, args);
      commands.push_back(redis::evalShaCommand(batch_script_, keys, args));
    }
    auto replies = redis_.pipeline(commands);
    if (!replies.ok()) return replies.error();
    if (replies->size() != commands.size()) {
      return Error{ErrorKind::Internal, "pipeline: wrong number of replies", "presence"};
    }
    std::vector<std::vector<size_t>> unknown_script;
    for (size_t c = 0; c < todo.size(); ++c) {
      const auto& r = (*replies)[c];
      const auto& chunk = todo[c];
      if (redis::isNoScript(r)) unknown_script.push_back(chunk);
      bool per_event =
          r.type == redis::RedisReply::Type::Array && r.elements.size() == chunk.size();
      for (size_t k = 0; k < chunk.size(); ++k) {
        size_t i = chunk[k];
        if (per_event) {
          outcomes[i] = outcomeOf(r.elements[k], events[i].kind);
        } else if (r.type == redis::RedisReply::Type::Error) {
          outcomes[i] = outcomeOf(r, events[i].kind);
        } else {
          outcomes[i] =
              Error{ErrorKind::Internal, "one reply per event expected", opName(events[i].kind)};
        }
      }
    }
    return unknown_script;
  };
  if (auto st = loadScript(); !st.ok()) return st.error();
  auto unknown_script = run(chunks);
  if (!unknown_script.ok()) return unknown_script.error();
  if (unknown_script->empty()) return outcomes;
  // Redis lost its script cache (restart, SCRIPT FLUSH): load the script again and re-run only
  // the calls that were refused, in their order. A second NOSCRIPT stays an error outcome.
  batch_script_.sha.clear();
  auto rerun = [&]() -> Status {
    if (auto st = loadScript(); !st.ok()) return st;
    auto again = run(*unknown_script);
    if (!again.ok()) return again.error();
    return {};
  }();
  if (!rerun.ok()) {
    for (const auto& chunk : *unknown_script)
      for (size_t i : chunk) outcomes[i] = rerun.error();
  }
  return outcomes;
}

LineOutcome PresenceLedger::singleOutcome(const LineEvent& event) {
  auto outcomes = applyEvents({event});
  if (!outcomes.ok()) return outcomes.error();
  return std::move(outcomes->front());
}

Status PresenceLedger::offered(const std::string& call_id, const std::string& number,
                               int64_t at_ms) {
  auto r = singleOutcome({LineEvent::Kind::Offered, call_id, number, {}, at_ms});
  if (!r.ok()) return r.error();
  return {};
}

Result<std::vector<std::string>> PresenceLedger::legRinging(const std::string& call_id,
                                                            const std::string& agent_id,
                                                            int64_t at_ms) {
  return singleOutcome({LineEvent::Kind::LegRinging, call_id, {}, agent_id, at_ms});
}

Result<std::vector<std::string>> PresenceLedger::legFailed(const std::string& call_id,
                                                           const std::string& agent_id,
                                                           int64_t at_ms) {
  return singleOutcome({LineEvent::Kind::LegFailed, call_id, {}, agent_id, at_ms});
}

Result<std::vector<std::string>> PresenceLedger::answered(const std::string& call_id,
                                                          const std::string& agent_id,
                                                          int64_t at_ms) {
  return singleOutcome({LineEvent::Kind::Answered, call_id, {}, agent_id, at_ms});
}

Result<std::vector<std::string>> PresenceLedger::ended(const std::string& call_id, int64_t at_ms) {
  return singleOutcome({LineEvent::Kind::Ended, call_id, {}, {}, at_ms});
}

Status PresenceLedger::setAvailability(const std::string& agent_id, const std::string& availability,
                                       int64_t at_ms) {
  if (!codec::isAvailabilityName(availability)) {
    return invalidInput("availability must be available, away, offline or dnd", agent_id);
  }
  return asStatus(redis_.command({"HSET", keys::agent(agent_id), "availability", availability,
                                  "changed_at_ms", std::to_string(at_ms)}),
                  "availability");
}

Result<std::vector<AgentRecord>> PresenceLedger::agents(const std::vector<std::string>& ids) {
  std::vector<AgentRecord> out;
  if (ids.empty()) return out;
  std::vector<std::vector<std::string>> cmds;
  for (const auto& id : ids) cmds.push_back({"HGETALL", keys::agent(id)});
  auto replies = redis_.pipeline(cmds);
  if (!replies.ok()) return replies.error();
  for (size_t i = 0; i < ids.size(); ++i) {
    AgentRecord a;
    a.agent_id = ids[i];
    const auto& e = (*replies)[i].elements;
    for (size_t k = 0; k + 1 < e.size(); k += 2) {
      const std::string& f = e[k].text;
      const std::string& v = e[k + 1].text;
      if (f == "availability" && codec::isAvailabilityName(v))
        a.availability = v;
      else if (f == "on_call")
        a.on_call = redis::fieldInt(v);
      else if (f == "ringing")
        a.ringing = redis::fieldInt(v);
      else if (f == "changed_at_ms")
        a.changed_at_ms = redis::fieldInt(v);
      else if (f == "idle_since_ms")
        a.idle_since_ms = redis::fieldInt(v);
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<int64_t> PresenceLedger::agentOnCall(const std::string& agent_id) {
  auto r = redis_.command({"HGET", keys::agent(agent_id), "on_call"});
  if (!r.ok()) return r.error();
  if (r->isNil()) return int64_t{0};
  return redis::fieldInt(r->text);
}

Result<int64_t> PresenceLedger::numberOnCall(const std::string& number) {
  auto r = redis_.command({"SCARD", keys::numberOnCall(number)});
  if (!r.ok()) return r.error();
  return r->integer;
}

}  // namespace callmesh::agent_presence
