#include "shared/redis/live_calls_reader.h"

#include <algorithm>

#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"
#include "shared/redis/scan.h"

namespace callmesh::redis {

namespace {

// One call's hash (HGETALL's flat field/value array) as a LiveCall.
LiveCall liveCallOf(const std::string& call_id, const RedisReply& reply) {
  LiveCall call;
  call.call_id = call_id;
  const auto& e = reply.elements;
  for (size_t f = 0; f + 1 < e.size(); f += 2) {
    const std::string& name = e[f].text;
    const std::string& value = e[f + 1].text;
    if (name == "number")
      call.number = value;
    else if (name == "state")
      call.state = value;
    else if (name == "answered_by")
      call.answered_by = value;
    else if (name == "offered_at_ms")
      call.offered_at_ms = fieldInt(value);
    else if (name == "caller")
      call.caller = value;
    else if (name == "rule")
      call.rule = value;
    else if (name == "ended" && !value.empty() && value != "0")
      call.state = "ended";
    else if (name.rfind("ring:", 0) == 0 && value == "1")
      call.ringing.push_back(name.substr(5));
  }
  std::sort(call.ringing.begin(), call.ringing.end());
  return call;
}

}  // namespace

Result<std::optional<LiveCall>> readLiveCall(RedisClient& redis, const std::string& call_id) {
  auto reply = redis.command({"HGETALL", presence_keys::call(call_id)});
  if (!reply.ok()) return reply.error();
  if (reply->type != RedisReply::Type::Array || reply->elements.empty()) {
    return std::optional<LiveCall>();
  }
  return std::optional<LiveCall>(liveCallOf(call_id, reply.value()));
}

Result<std::vector<LiveCall>> readLiveCalls(RedisClient& redis, size_t max_calls) {
  std::vector<std::string> call_ids;
  Status failed;
  auto walked = scanKeys(redis, presence_keys::kNumberOnCallPattern, [&](const std::string& key) {
    auto members = redis.command({"SMEMBERS", key});
    if (!members.ok()) {
      failed = members.error();
      return false;
    }
    for (const auto& m : members->elements) call_ids.push_back(m.text);
    return call_ids.size() < max_calls;
  });
  if (!walked.ok()) return walked.error();
  if (!failed.ok()) return failed.error();

  std::vector<LiveCall> out;
  if (call_ids.empty()) return out;
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(call_ids.size());
  for (const auto& id : call_ids) cmds.push_back({"HGETALL", presence_keys::call(id)});
  auto replies = redis.pipeline(cmds);
  if (!replies.ok()) return replies.error();
  for (size_t i = 0; i < call_ids.size() && i < replies->size(); ++i) {
    const auto& reply = (*replies)[i];
    if (reply.type != RedisReply::Type::Array) continue;
    out.push_back(liveCallOf(call_ids[i], reply));
  }
  return out;
}

}  // namespace callmesh::redis
