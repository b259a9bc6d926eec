#include "services/notification/webhook_book.h"

#include <algorithm>
#include <set>

#include "services/notification/stored_hashes.h"
#include "services/notification/webhook_event.h"
#include "services/notification/webhook_rules.h"
#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"

namespace callmesh::notification {

namespace {

namespace wk = redis::webhook_keys;
using redis::RedisReply;

// KEYS: subscriptions set, the new subscription's hash. ARGV: max subscriptions, url, events,
// secret, created by, created at, id. 0 when the cap is reached.
constexpr const char* kSubscribeLua = R"lua(
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[2], 'url', ARGV[2], 'events', ARGV[3], 'secret', ARGV[4],
           'created_by', ARGV[5], 'created_at_ms', ARGV[6])
redis.call('SADD', KEYS[1], ARGV[7])
return 1
)lua";

// KEYS: outbox, subscriptions set, due, dead. ARGV: now, max pending, dead-letter keep ms,
// subscription key prefix, delivery key prefix, max events.
// The subscription and delivery keys are built from the prefixes keys.h gives; every one carries
// the `{webhooks}` hash tag, so the script stays in one hash slot (Redis Cluster too).
constexpr const char* kFanOutLua = R"lua(
local taken = 0
local subs = nil
for n = 1, tonumber(ARGV[6]) do
  local ev = redis.call('LPOP', KEYS[1])
  if not ev then break end
  taken = taken + 1
  local ok, e = pcall(cjson.decode, ev)
  if ok and type(e) == 'table' and type(e.id) == 'string' and type(e.type) == 'string' then
    if not subs then subs = redis.call('SMEMBERS', KEYS[2]) end
    for _, sub in ipairs(subs) do
      local events = redis.call('HGET', ARGV[4] .. sub, 'events')
      if events and string.find(',' .. events .. ',', ',' .. e.type .. ',', 1, true) then
        local did = sub .. '/' .. e.id
        local dkey = ARGV[5] .. did
        if redis.call('EXISTS', dkey) == 0 then
          redis.call('HSET', dkey, 'sub', sub, 'event_id', e.id, 'type', e.type, 'body', ev,
                     'attempts', 0, 'first_at_ms', ARGV[1])
          if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[2]) then
            redis.call('HSET', dkey, 'last_error', 'queue full (webhooks.max_pending)',
                       'dead_at_ms', ARGV[1])
            redis.call('PEXPIRE', dkey, ARGV[3])
            redis.call('ZADD', KEYS[4], ARGV[1], did)
          else
            redis.call('ZADD', KEYS[3], ARGV[1], did)
          end
        end
      end
    end
  end
end
return taken
)lua";

// KEYS: due. ARGV: now, lease ms, max. The due ids, each now leased until now + lease.
constexpr const char* kClaimLua = R"lua(
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local lease_end = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], lease_end, id) end
return ids
)lua";

// KEYS: due, dead, the delivery. ARGV: delivery id, error, dead (1/0), next attempt ms, now,
// dead-letter keep ms. Returns 2 dead, 1 rescheduled, 0 gone.
constexpr const char* kFailLua = R"lua(
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
redis.call('HINCRBY', KEYS[3], 'attempts', 1)
redis.call('HSET', KEYS[3], 'last_error', ARGV[2])
if ARGV[3] == '1' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
  redis.call('HSET', KEYS[3], 'dead_at_ms', ARGV[5])
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (tonumber(ARGV[5]) - tonumber(ARGV[6])))
  return 2
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
return 1
)lua";

Error refusal(const std::string& field, const std::string& why) {
  return Error{ErrorKind::InvalidInput, why, field};
}

Error unexpected(const RedisReply& r, const std::string& what) {
  return Error{ErrorKind::Internal, "unexpected reply: " + r.text, what};
}

}  // namespace

WebhookBook::WebhookBook(redis::RedisClient& redis, config::WebhookSettings settings)
    : redis_(redis), settings_(settings) {
  fan_out_.body = kFanOutLua;
  claim_.body = kClaimLua;
  fail_.body = kFailLua;
}

Result<WebhookSubscription> WebhookBook::subscribe(const std::string& url,
                                                   const std::vector<std::string>& events,
                                                   const std::string& by, int64_t now_ms) {
  auto parsed = parseWebhookUrl(url);
  if (!parsed.ok()) return parsed.error();
  if (events.empty()) return refusal("events", "name at least one event");
  std::set<std::string> seen;
  for (const auto& e : events) {
    if (!isWebhookEventType(e)) {
      return refusal("events", "'" + e.substr(0, 64) +
                                   "' is not one of call.ended, call.missed, notification.created, "
                                   "notification.claimed, contact.created");
    }
    if (!seen.insert(e).second) return refusal("events", "'" + e + "' is named twice");
  }
  WebhookSubscription s;
  s.id = newWebhookId();
  s.secret = newWebhookSecret();
  if (s.id.empty() || s.secret.size() < 10) {
    return Error{ErrorKind::Internal, "no randomness from the OS", "webhook secret"};
  }
  s.url = url;
  s.events = events;
  s.created_by = by;
  s.created_at_ms = now_ms;
  redis::RedisScript script{kSubscribeLua, {}};
  auto r = redis_.evalScript(
      script, {wk::kSubscriptions, wk::subscription(s.id)},
      {std::to_string(settings_.max_subscriptions), s.url, redis::joinList(s.events), s.secret,
       s.created_by, std::to_string(s.created_at_ms), s.id});
  if (!r.ok()) return r.error();
  if (r->type != RedisReply::Type::Integer) return unexpected(*r, "webhook subscribe");
  if (r->integer == 0) {
    return refusal("url", "at most " + std::to_string(settings_.max_subscriptions) +
                              " subscriptions (notification.webhooks.max_subscriptions)");
  }
  return s;
}

Result<std::optional<WebhookSubscription>> WebhookBook::subscription(const std::string& id) {
  auto r = redis_.command({"HGETALL", wk::subscription(id)});
  if (!r.ok()) return r.error();
  if (r->elements.empty()) return std::optional<WebhookSubscription>();
  WebhookSubscription s;
  s.id = id;
  forEachField(*r, [&s](const std::string& f, const std::string& v) {
    if (f == "url")
      s.url = v;
    else if (f == "events")
      s.events = redis::splitList(v);
    else if (f == "secret")
      s.secret = v;
    else if (f == "created_by")
      s.created_by = v;
    else if (f == "created_at_ms")
      s.created_at_ms = redis::fieldInt(v);
  });
  return std::optional<WebhookSubscription>(std::move(s));
}

Result<std::vector<WebhookSubscription>> WebhookBook::subscriptions() {
  auto ids = redis_.command({"SMEMBERS", wk::kSubscriptions});
  if (!ids.ok()) return ids.error();
  std::vector<WebhookSubscription> out;
  for (const auto& id : ids->elements) {
    auto s = subscription(id.text);
    if (!s.ok()) return s.error();
    if (!*s) continue;
    (*s)->secret.clear();
    out.push_back(std::move(**s));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.created_at_ms < b.created_at_ms; });
  return out;
}

Result<bool> WebhookBook::unsubscribe(const std::string& id) {
  auto r = redis_.pipeline({{"SREM", wk::kSubscriptions, id}, {"DEL", wk::subscription(id)}});
  if (!r.ok()) return r.error();
  return !r->empty() && (*r)[0].integer == 1;
}

Result<int64_t> WebhookBook::fanOut(int64_t now_ms, int max_events) {
  auto r = redis_.evalScript(fan_out_, {wk::kOutbox, wk::kSubscriptions, wk::kDue, wk::kDead},
                             {std::to_string(now_ms), std::to_string(settings_.max_pending),
                              std::to_string(settings_.dead_letter_ms), wk::kSubscriptionPrefix,
                              wk::kDeliveryPrefix, std::to_string(max_events)});
  if (!r.ok()) return r.error();
  if (r->type != RedisReply::Type::Integer) return unexpected(*r, "webhook fan-out");
  return r->integer;
}

Result<std::vector<WebhookDelivery>> WebhookBook::load(const std::vector<std::string>& ids) {
  std::vector<std::string> keys;
  for (const auto& id : ids) keys.push_back(wk::delivery(id));
  std::vector<WebhookDelivery> out;
  std::vector<bool> found(ids.size(), false);
  auto st = forEachStoredHash(redis_, keys, [&](size_t i, const RedisReply& hash) {
    found[i] = true;
    WebhookDelivery d;
    d.id = ids[i];
    forEachField(hash, [&d](const std::string& f, const std::string& v) {
      if (f == "sub")
        d.subscription = v;
      else if (f == "event_id")
        d.event_id = v;
      else if (f == "type")
        d.type = v;
      else if (f == "body")
        d.body = v;
      else if (f == "attempts")
        d.attempts = static_cast<int>(redis::fieldInt(v));
      else if (f == "first_at_ms")
        d.first_at_ms = redis::fieldInt(v);
      else if (f == "dead_at_ms")
        d.dead_at_ms = redis::fieldInt(v);
      else if (f == "last_error")
        d.last_error = v;
    });
    out.push_back(std::move(d));
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<std::vector<WebhookDelivery>> WebhookBook::claimDue(int64_t now_ms, int64_t lease_ms,
                                                           int max) {
  auto r = redis_.evalScript(
      claim_, {wk::kDue}, {std::to_string(now_ms), std::to_string(lease_ms), std::to_string(max)});
  if (!r.ok()) return r.error();
  if (r->type != RedisReply::Type::Array) return unexpected(*r, "webhook claim");
  std::vector<std::string> ids;
  for (const auto& e : r->elements) ids.push_back(e.text);
  auto loaded = load(ids);
  if (!loaded.ok()) return loaded.error();
  // A due id without its delivery (expired or removed) is dropped from the queue.
  std::set<std::string> have;
  for (const auto& d : *loaded) have.insert(d.id);
  std::vector<std::vector<std::string>> gone;
  for (const auto& id : ids) {
    if (!have.count(id)) gone.push_back({"ZREM", wk::kDue, id});
  }
  if (!gone.empty()) (void)redis_.pipeline(gone);
  return loaded;
}

Status WebhookBook::succeeded(const WebhookDelivery& d) {
  auto r = redis_.pipeline({{"ZREM", wk::kDue, d.id}, {"DEL", wk::delivery(d.id)}});
  if (!r.ok()) return r.error();
  return {};
}

Result<bool> WebhookBook::failed(const WebhookDelivery& d, const std::string& error,
                                 int64_t now_ms) {
  RetryStep step = afterFailedAttempt(d.attempts + 1, d.first_at_ms, now_ms, settings_);
  auto r = redis_.evalScript(
      fail_, {wk::kDue, wk::kDead, wk::delivery(d.id)},
      {d.id, error.substr(0, 256), step.dead ? "1" : "0", std::to_string(step.next_at_ms),
       std::to_string(now_ms), std::to_string(settings_.dead_letter_ms)});
  if (!r.ok()) return r.error();
  if (r->type != RedisReply::Type::Integer) return unexpected(*r, "webhook retry");
  return r->integer == 2;
}

Result<std::vector<WebhookDelivery>> WebhookBook::deadLetters(size_t offset, size_t limit) {
  auto r = redis_.command(
      {"ZREVRANGE", wk::kDead, std::to_string(offset), std::to_string(offset + limit - 1)});
  if (!r.ok()) return r.error();
  std::vector<std::string> ids;
  for (const auto& e : r->elements) ids.push_back(e.text);
  auto loaded = load(ids);
  if (!loaded.ok()) return loaded.error();
  return loaded;
}

Result<int64_t> WebhookBook::queueDepth() {
  auto r = redis_.command({"ZCARD", wk::kDue});
  if (!r.ok()) return r.error();
  return r->integer;
}

Result<int64_t> WebhookBook::deadCount() {
  auto r = redis_.command({"ZCARD", wk::kDead});
  if (!r.ok()) return r.error();
  return r->integer;
}

}  // namespace callmesh::notification
