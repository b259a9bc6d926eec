#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"

namespace callmesh::redis {

// Walks every key matching `pattern` with SCAN (never KEYS: it would stop Redis for the whole
// walk), handing each to `visit`. `visit` returns false to stop early. `count` is SCAN's hint per
// round trip. A reply that is not SCAN's shape is an error naming the pattern.
Status scanKeys(RedisClient& redis, std::string_view pattern,
                const std::function<bool(const std::string& key)>& visit, size_t count = 500);

}  // namespace callmesh::redis
