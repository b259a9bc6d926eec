#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"

namespace callmesh::redis {

// Sends `commands` as pipelines of at most `chunk` commands each, one round trip per chunk, and
// returns every reply in order: a sweep over many keys (a startup reconcile) never builds one
// huge request, nor makes Redis buffer one huge reply. The first failed round trip is the error
// (the chunks before it were applied).
Result<std::vector<RedisReply>> pipelineInChunks(
    RedisClient& redis, const std::vector<std::vector<std::string>>& commands, size_t chunk = 1000);

}  // namespace callmesh::redis
