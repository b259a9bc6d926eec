#include "shared/redis/chunked_pipeline.h"

#include <algorithm>

namespace callmesh::redis {

Result<std::vector<RedisReply>> pipelineInChunks(
    RedisClient& redis, const std::vector<std::vector<std::string>>& commands, size_t chunk) {
  std::vector<RedisReply> out;
  out.reserve(commands.size());
  for (size_t at = 0; at < commands.size(); at += chunk) {
    std::vector<std::vector<std::string>> part(
        commands.begin() + static_cast<std::ptrdiff_t>(at),
        commands.begin() + static_cast<std::ptrdiff_t>(std::min(commands.size(), at + chunk)));
    auto r = redis.pipeline(part);
    if (!r.ok()) return r.error();
    for (auto& reply : *r) out.push_back(std::move(reply));
  }
  return out;
}

}  // namespace callmesh::redis
