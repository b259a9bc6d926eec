#pragma once

#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"

namespace callmesh::redis {

// How many replicas must hold a write before it is acknowledged (redis.replica_acks), and how
// long to wait for them (redis.replica_ack_timeout_ms). replicas == 0: acknowledge at once.
struct ReplicaAck {
  int replicas = 0;
  int timeout_ms = 200;
};

// Runs `script` and, in the same pipeline (so on the same connection, right behind it),
// `WAIT replicas timeout_ms`. Redis replicates asynchronously: a write the primary answered can
// be lost if it dies before a replica has it and Sentinel promotes that replica. Returns the
// script's reply only when enough replicas confirmed; otherwise a Timeout error saying the write
// is applied on the primary but unconfirmed (the caller refuses, e.g. 503, and the client
// retries: the scripts using this are idempotent, so a retry after an unconfirmed write is safe).
// A script error reply is returned as the reply (nothing to wait for). The script's SHA is loaded
// first when needed, and reloaded once after NOSCRIPT (a failover to a replica without it).
Result<RedisReply> evalScriptReplicated(RedisClient& redis, RedisScript& script,
                                        const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args, ReplicaAck ack);

// One script run of a batch (evalScriptsReplicated).
struct ScriptCall {
  RedisScript* script;
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

// Several idempotent scripts in one pipelined round trip instead of one each, every one followed
// by its WAIT when `ack` asks for replicas (in a Redis Cluster a WAIT covers only the node of the
// script before it). Each reply as evalScriptReplicated gives it, in order: a script answered
// NOSCRIPT (a failover, a flushed cache) is run again alone through evalScriptReplicated, which
// is why the scripts must be idempotent. The error is the round trip's, or the first replica
// shortfall (the writes may be applied on the primary: the caller retries them all).
Result<std::vector<RedisReply>> evalScriptsReplicated(RedisClient& redis,
                                                      const std::vector<ScriptCall>& calls,
                                                      ReplicaAck ack);

}  // namespace callmesh::redis
