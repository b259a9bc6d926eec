#include "services/concurrency-limiter/slot_ledger.h"

#include <map>

#include "shared/redis/chunked_pipeline.h"
#include "shared/redis/slot_keys.h"

namespace callmesh::concurrency_limiter {

namespace {

// Every script starts here: `now` is Redis's own clock in ms (leases are judged by it, so limiter
// hosts need not agree on time). Prepended by scriptOf(), so the scripts below read `now` as given.
constexpr const char* kRedisNowLua = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
)lua";

// KEYS[1] = slots key; ARGV = cap, call id, lease ms. Returns {granted 0|1, in use}. The common
// case (a new call under the cap) is five redis.calls: Redis's cost for a script is mostly per
// call, so the count is derived from ZCARD and ZADD's reply instead of being read again.
constexpr const char* kAcquireLua = R"lua(
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local in_use = redis.call('ZCARD', KEYS[1])
if in_use < tonumber(ARGV[1]) then
  in_use = in_use + redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
elseif redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
else
  return {0, in_use}
end
redis.call('PEXPIRE', KEYS[1], lease)
return {1, in_use}
)lua";

// KEYS = the slot sets of the asks' numbers, each once; ARGV = lease ms, then per ask: its key's
// index in KEYS, its number's cap, its call id. Several acquires, on one number or several, each
// decided as kAcquireLua decides it alone, in order, on one clock reading; returns {granted 0|1,
// in use} per ask. A set's expired leases are purged and the set counted once, at its first ask,
// and its expiry set once after the last: for k asks on n numbers 1 + 2n + k + (n granted)
// redis.calls in one script instead of 5k in k scripts (slot_ledger_batch.cpp). With no ask it
// changes nothing (a run that only loads the script).
constexpr const char* kAcquireRunLua = R"lua(
local lease = tonumber(ARGV[1])
local count, granted, out = {}, {}, {}
for i = 2, #ARGV, 3 do
  local k = tonumber(ARGV[i])
  local key, cap, id = KEYS[k], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local in_use = count[k]
  if not in_use then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
    in_use = redis.call('ZCARD', key)
  end
  if in_use < cap then
    in_use = in_use + redis.call('ZADD', key, now + lease, id)
    out[#out + 1] = {1, in_use}
    granted[k] = true
  elseif redis.call('ZSCORE', key, id) then
    redis.call('ZADD', key, now + lease, id)
    out[#out + 1] = {1, in_use}
    granted[k] = true
  else
    out[#out + 1] = {0, in_use}
  end
  count[k] = in_use
end
for k = 1, #KEYS do
  if granted[k] then redis.call('PEXPIRE', KEYS[k], lease) end
end
return out
)lua";

// KEYS[1] = number's slots, KEYS[2] = account's slots; ARGV = number cap, call id, lease ms,
// account cap. Both sets gain the call, or neither. Returns {granted, in use on the number}.
constexpr const char* kAcquireInAccountLua = R"lua(
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local in_use = redis.call('ZCARD', KEYS[1])
local held = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not held and (in_use >= tonumber(ARGV[1]) or
                 redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4])) then
  return {0, in_use}
end
if not held then in_use = in_use + 1 end
redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
redis.call('ZADD', KEYS[2], now + lease, ARGV[2])
redis.call('PEXPIRE', KEYS[1], lease)
redis.call('PEXPIRE', KEYS[2], lease)
return {1, in_use}
)lua";

// KEYS[1] = slots key; ARGV = lease ms, call ids... Returns how many were still held.
constexpr const char* kRenewLua = R"lua(
local lease = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local kept = 0
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[i])
    kept = kept + 1
  end
end
if kept > 0 then redis.call('PEXPIRE', KEYS[1], lease) end
return kept
)lua";

// KEYS[1] = slots key; ARGV = lease ms, call ids... Every call gets its lease, held or not (a
// failover lost it). Returns how many were missing and added back.
constexpr const char* kReadoptLua = R"lua(
local lease = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local added = 0
for i = 2, #ARGV do
  added = added + redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], lease)
return added
)lua";

// KEYS[1] = slots key. Returns live slot count.
constexpr const char* kUsageLua = R"lua(
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
)lua";

// Loads `script` with `body` after the clock preamble, the first time it is needed.
redis::RedisScript& scriptOf(redis::RedisScript& script, const char* body) {
  if (script.body.empty()) script.body = std::string(kRedisNowLua) + body;
  return script;
}

Error unexpected(const redis::RedisReply& r, const std::string& op) {
  std::string what = r.type == redis::RedisReply::Type::Error ? r.text : "unexpected reply shape";
  return Error{ErrorKind::Internal, what, "slot ledger " + op};
}

}  // namespace

std::string SlotLedger::accountKey(const std::string& account_id) {
  return redis::accountSlotsKey(account_id);
}

std::string SlotLedger::slotsKey(const std::string& number) const {
  return caps_.slotKeys().numberKey(number);
}

SlotLedger::AcquireCommand SlotLedger::acquireCommand(const std::string& number,
                                                      const std::string& call_id) {
  int cap = caps_.capFor(number);
  const auto* account = caps_.accountOf(number);
  redis::RedisScript& script = account ? scriptOf(acquire_in_account_script_, kAcquireInAccountLua)
                                       : scriptOf(acquire_script_, kAcquireLua);
  AcquireCommand c{
      &script, {slotsKey(number)}, {std::to_string(cap), call_id, std::to_string(lease_ms_)}, cap};
  if (account) {
    c.keys.push_back(accountKey(account->id));
    c.args.push_back(std::to_string(account->cap));
  }
  return c;
}

redis::RedisScript& SlotLedger::acquireRunScript() {
  return scriptOf(acquire_run_script_, kAcquireRunLua);
}

Error SlotLedger::unexpectedReply(const redis::RedisReply& r, const std::string& op) {
  return unexpected(r, op);
}

Result<SlotState> SlotLedger::grantOf(const redis::RedisReply& r, int cap, int64_t released) {
  if (r.type != redis::RedisReply::Type::Array || r.elements.size() != 2)
    return unexpected(r, "acquire");
  return SlotState{r.elements[0].integer == 1, r.elements[1].integer, cap, released};
}

Result<SlotState> SlotLedger::acquire(const std::string& number, const std::string& call_id,
                                      const std::vector<SlotRef>& release_first) {
  auto [script_ptr, keys, args, cap] = acquireCommand(number, call_id);
  redis::RedisScript& script = *script_ptr;
  int64_t released = 0;
  Result<redis::RedisReply> reply = Error{};
  if (release_first.empty() || script.sha.empty()) {
    // Nothing to free, or the script is not loaded yet (the first acquire): the plain path,
    // which loads it; any releases go one round trip ahead.
    if (!release_first.empty()) {
      auto freed = release(release_first);
      if (!freed.ok()) return freed.error();
      released = freed.value();
    }
    reply = redis_.evalScript(script, keys, args);
  } else {
    std::vector<std::vector<std::string>> commands;
    std::vector<bool> counts;
    appendReleases(release_first, commands, counts);
    commands.push_back(redis::evalShaCommand(script, keys, args));
    auto replies = redis_.pipeline(commands);
    if (!replies.ok()) return replies.error();
    for (size_t i = 0; i < counts.size(); ++i) {
      const auto& r = (*replies)[i];
      if (r.type != redis::RedisReply::Type::Integer) return unexpected(r, "release");
      if (counts[i]) released += r.integer;
    }
    reply = std::move(replies->back());
    // Redis restarted or its script cache was flushed: the releases are done; run the acquire
    // through the client, which loads the script again.
    if (redis::isNoScript(reply.value())) {
      script.sha.clear();
      reply = redis_.evalScript(script, keys, args);
    }
  }
  if (!reply.ok()) return reply.error();
  return grantOf(reply.value(), cap, released);
}

Result<int64_t> SlotLedger::renew(const std::vector<SlotRef>& slots, bool readopt,
                                  int64_t* readopted) {
  redis::RedisScript& script =
      readopt ? scriptOf(readopt_script_, kReadoptLua) : scriptOf(renew_script_, kRenewLua);
  std::map<std::string, std::vector<std::string>> by_number;
  std::map<std::string, std::vector<std::string>> by_account;
  for (const auto& s : slots) {
    by_number[s.number].push_back(s.call_id);
    if (const auto* account = caps_.accountOf(s.number))
      by_account[account->id].push_back(s.call_id);
  }
  // One script per key (number, then account); only the number sets count as kept.
  std::vector<std::pair<std::string, const std::vector<std::string>*>> keys;
  keys.reserve(by_number.size() + by_account.size());
  for (const auto& [number, calls] : by_number) keys.emplace_back(slotsKey(number), &calls);
  size_t counted = keys.size();
  for (const auto& [account, calls] : by_account) keys.emplace_back(accountKey(account), &calls);
  auto argsOf = [&](const std::vector<std::string>& calls) {
    std::vector<std::string> args{std::to_string(lease_ms_)};
    args.insert(args.end(), calls.begin(), calls.end());
    return args;
  };
  auto renewOne = [&](size_t i) -> Result<int64_t> {
    auto reply = redis_.evalScript(script, {keys[i].first}, argsOf(*keys[i].second));
    if (!reply.ok()) return reply.error();
    if (reply->type != redis::RedisReply::Type::Integer) return unexpected(reply.value(), "renew");
    return reply->integer;
  };
  int64_t kept = 0;
  int64_t added_back = 0;
  // A number set's reply: how many were held (renew), or how many were missing and added back
  // (readopt: then every call is held afterwards).
  auto count = [&](size_t i, int64_t n) {
    if (i >= counted) return;
    if (!readopt) {
      kept += n;
      return;
    }
    kept += static_cast<int64_t>(keys[i].second->size());
    added_back += n;
  };
  size_t next = 0;
  // The script is not loaded yet (the first renewal): the plain path loads it.
  while (next < keys.size() && script.sha.empty()) {
    auto r = renewOne(next);
    if (!r.ok()) return r.error();
    count(next, r.value());
    ++next;
  }
  // The rest as EVALSHA pipelines of kRenewScriptsPerRoundTrip scripts: 200 numbers cost one
  // round trip instead of 200, and no pipeline (nor its replies) grows with the ingress's calls.
  std::vector<std::vector<std::string>> commands;
  for (size_t i = next; i < keys.size(); ++i)
    commands.push_back(redis::evalShaCommand(script, {keys[i].first}, argsOf(*keys[i].second)));
  auto replies = redis::pipelineInChunks(redis_, commands, kRenewScriptsPerRoundTrip);
  if (!replies.ok()) return replies.error();
  for (size_t j = 0; j < replies->size(); ++j) {
    size_t i = next + j;
    int64_t n = 0;
    if (redis::isNoScript((*replies)[j])) {
      // Redis restarted or its script cache was flushed: this one again through the client.
      script.sha.clear();
      auto r = renewOne(i);
      if (!r.ok()) return r.error();
      n = r.value();
    } else if ((*replies)[j].type != redis::RedisReply::Type::Integer) {
      return unexpected((*replies)[j], "renew");
    } else {
      n = (*replies)[j].integer;
    }
    count(i, n);
  }
  if (readopted) *readopted = added_back;
  return kept;
}

Result<bool> SlotLedger::release(const std::string& number, const std::string& call_id) {
  if (const auto* account = caps_.accountOf(number)) {
    auto replies = redis_.pipeline(
        {{"ZREM", slotsKey(number), call_id}, {"ZREM", accountKey(account->id), call_id}});
    if (!replies.ok()) return replies.error();
    const auto& first = replies->front();
    if (first.type != redis::RedisReply::Type::Integer) return unexpected(first, "release");
    return first.integer == 1;
  }
  auto reply = redis_.command({"ZREM", slotsKey(number), call_id});
  if (!reply.ok()) return reply.error();
  if (reply->type != redis::RedisReply::Type::Integer) return unexpected(reply.value(), "release");
  return reply->integer == 1;
}

void SlotLedger::appendReleases(const std::vector<SlotRef>& slots,
                                std::vector<std::vector<std::string>>& commands,
                                std::vector<bool>& counts) const {
  for (const auto& s : slots) {
    commands.push_back({"ZREM", slotsKey(s.number), s.call_id});
    counts.push_back(true);
    if (const auto* account = caps_.accountOf(s.number)) {
      commands.push_back({"ZREM", accountKey(account->id), s.call_id});
      counts.push_back(false);
    }
  }
}

Result<int64_t> SlotLedger::release(const std::vector<SlotRef>& slots) {
  if (slots.empty()) return int64_t{0};
  std::vector<std::vector<std::string>> commands;
  std::vector<bool> counts;  // which replies say whether a number's slot was freed
  commands.reserve(slots.size());
  appendReleases(slots, commands, counts);
  auto replies = redis_.pipeline(commands);
  if (!replies.ok()) return replies.error();
  int64_t freed = 0;
  for (size_t i = 0; i < replies->size(); ++i) {
    const auto& r = (*replies)[i];
    if (r.type != redis::RedisReply::Type::Integer) return unexpected(r, "release");
    if (counts[i]) freed += r.integer;
  }
  return freed;
}

Result<SlotState> SlotLedger::usage(const std::string& number) {
  auto reply = redis_.evalScript(scriptOf(usage_script_, kUsageLua), {slotsKey(number)}, {});
  if (!reply.ok()) return reply.error();
  if (reply->type != redis::RedisReply::Type::Integer) return unexpected(reply.value(), "usage");
  return SlotState{false, reply->integer, caps_.capFor(number)};
}

}  // namespace callmesh::concurrency_limiter
