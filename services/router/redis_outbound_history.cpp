#include "services/router/redis_outbound_history.h"

#include "services/router/redis_fields.h"
#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"

namespace callmesh::router {

using redis::RedisReply;

namespace {

// KEYS[1] = cm:outbound:{<callee>}; ARGV = number, project, at_ms, used (comma list).
constexpr const char* kRecordScript = R"lua(
redis.call('HSET', KEYS[1], 'last_number', ARGV[1], 'last_project', ARGV[2],
           'last_at_ms', ARGV[3], 'used:' .. ARGV[2], ARGV[4])
return redis.call('HINCRBY', KEYS[1], 'attempts:' .. ARGV[2], 1)
)lua";

Error notAsked() {
  return Error{ErrorKind::Disconnected, "not asked: Redis failed recently, retrying shortly",
               "outbound history"};
}

}  // namespace

Error RedisOutboundHistory::unreachable(Error e) {
  gate_.failed();
  counters_.unreachable.Increment();
  return e;
}

Result<ContactHistory> RedisOutboundHistory::read(const std::string& callee,
                                                  const std::string& project) {
  if (!gate_.allows()) {
    counters_.unreachable.Increment();
    return notAsked();
  }
  auto r =
      redis_.command({"HMGET", redis::outbound_keys::callee(callee), "last_number", "last_project",
                      "attempts:" + project, "used:" + project, "outcome:" + project});
  if (!r.ok()) return unreachable(r.error());
  ContactHistory h;
  if (r->type != RedisReply::Type::Array || r->elements.size() != 5) {
    counters_.bad_data.Increment();
    return h;  // WRONGTYPE and the like: as if the contact had no history
  }
  bool bad = false;
  if (const auto* t = textField(r->elements[0])) h.last_number = *t;
  if (const auto* t = textField(r->elements[1])) h.last_project = *t;
  h.attempts = integerField(r->elements[2], bad);
  if (const auto* t = textField(r->elements[3])) h.used = redis::splitList(*t);
  if (const auto* t = textField(r->elements[4])) h.last_outcome = *t;
  if (h.attempts < 0) {
    bad = true;
    h.attempts = 0;
  }
  if (bad) counters_.bad_data.Increment();
  return h;
}

Status RedisOutboundHistory::record(const std::string& callee, const std::string& project,
                                    const OutboundAttempt& attempt) {
  if (!gate_.allows()) {
    counters_.unreachable.Increment();
    return notAsked();
  }
  if (record_script_.body.empty()) record_script_.body = kRecordScript;
  const std::string key = redis::outbound_keys::callee(callee);
  auto r = redis_.evalScript(
      record_script_, {key},
      {attempt.number, project, std::to_string(attempt.at_ms), redis::joinList(attempt.used)});
  if (!r.ok()) return unreachable(r.error());
  if (r->type == RedisReply::Type::Error) {
    counters_.bad_data.Increment();  // e.g. WRONGTYPE: the key is not a hash
    return Error{ErrorKind::Internal, key + ": " + r->text, "outbound history"};
  }
  return {};
}

}  // namespace callmesh::router
