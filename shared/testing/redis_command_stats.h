#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "shared/redis/redis_client.h"

namespace callmesh::testing {

// How many times Redis ran each command since its last CONFIG RESETSTAT, by name as INFO
// commandstats spells it ("zadd", "evalsha", "script|load"). Commands a script runs count under
// their own names. Empty if INFO failed.
std::map<std::string, int64_t> redisCommandCalls(redis::RedisClient& client);

// The commands Redis ran for the data, summed: every command but the script calls themselves
// (EVAL, EVALSHA, SCRIPT) and the test's own bookkeeping (INFO, CONFIG).
int64_t dataCommandCalls(const std::map<std::string, int64_t>& calls);

}  // namespace callmesh::testing
