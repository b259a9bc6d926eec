#include "shared/redis/scan.h"

namespace callmesh::redis {

Status scanKeys(RedisClient& redis, std::string_view pattern,
                const std::function<bool(const std::string& key)>& visit, size_t count) {
  std::string cursor = "0";
  const std::string match(pattern);
  const std::string hint = std::to_string(count);
  do {
    auto r = redis.command({"SCAN", cursor, "MATCH", match, "COUNT", hint});
    if (!r.ok()) return r.error();
    if (r->type != RedisReply::Type::Array || r->elements.size() != 2) {
      return Error{ErrorKind::Internal, "unexpected SCAN reply", "scan " + match};
    }
    cursor = r->elements[0].text;
    for (const auto& k : r->elements[1].elements) {
      if (!visit(k.text)) return {};
    }
  } while (cursor != "0");
  return {};
}

}  // namespace callmesh::redis
