#pragma once

// Small blocking hiredis helpers shared by the command client, the primary connector and the
// pub/sub feed: one place that copies replies and opens an authenticated connection.
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/failover_policy.h"
#include "shared/redis/redis_credentials.h"
#include "shared/redis/redis_reply.h"

struct redisContext;
struct redisReply;

namespace callmesh::redis {

RedisReply copyReply(const redisReply* r);

// The steady clock in ms: connection backoff deadlines of the clients.
int64_t steadyMs();

// Queues one command on `c` without waiting (binary-safe argv), for pipelines.
void appendArgv(redisContext* c, const std::vector<std::string>& argv);

// One command on `c`, waited for (the context's timeout applies). An Error means the connection
// is unusable and the caller must free it; an error *reply* is a RedisReply of type Error.
Result<RedisReply> roundTrip(redisContext* c, const std::vector<std::string>& argv);

// A TCP connection to `at` with connect and command deadlines of `timeout_ms` and keepalive on,
// then `AUTH user password` when `credentials` has a user. The caller owns the context (redisFree).
Result<redisContext*> openConnection(const RedisAddress& at, int timeout_ms,
                                     const RedisCredentials& credentials);

}  // namespace callmesh::redis
