#include "shared/redis/live_calls_reader.h"

#include "shared/redis/keys.h"
#include "shared/redis/reply_fields.h"
#include "shared/redis/scan.h"

namespace callmesh::redis {

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
  for (const auto& id : call_ids) {
    cmds.push_back(
        {"HMGET", presence_keys::call(id), "number", "state", "answered_by", "offered_at_ms"});
  }
  auto replies = redis.pipeline(cmds);
  if (!replies.ok()) return replies.error();
  for (size_t i = 0; i < call_ids.size() && i < replies->size(); ++i) {
    const auto& e = (*replies)[i].elements;
    if (e.size() != 4) continue;
    out.push_back({call_ids[i], e[0].text, e[1].text, e[2].text, fieldInt(e[3].text)});
  }
  return out;
}

}  // namespace callmesh::redis
