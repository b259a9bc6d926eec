#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/redis_reply.h"

namespace callmesh::redis {

// A Lua script known by its body; clients cache its SHA and fall back to EVAL on NOSCRIPT.
struct RedisScript {
  std::string body;
  std::string sha;  // filled lazily by the client
};

// EVALSHA of `script` (its sha loaded), for a pipeline: sha, key count, keys, then args.
inline std::vector<std::string> evalShaCommand(const RedisScript& script,
                                               const std::vector<std::string>& keys,
                                               const std::vector<std::string>& args) {
  std::vector<std::string> argv{"EVALSHA", script.sha, std::to_string(keys.size())};
  argv.reserve(3 + keys.size() + args.size());
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Redis no longer has the script (restarted, SCRIPT FLUSH): load it again.
inline bool isNoScript(const RedisReply& reply) {
  return reply.type == RedisReply::Type::Error && reply.text.rfind("NOSCRIPT", 0) == 0;
}

// The Redis seam. One instance belongs to one thread (hiredis contexts are not thread-safe).
// Every call has a deadline; an unreachable server gives Disconnected/Timeout, never a hang.
class RedisClient {
 public:
  virtual ~RedisClient() = default;

  virtual Result<RedisReply> command(const std::vector<std::string>& argv) = 0;
  // Several commands in one round trip; one reply per command, in order.
  virtual Result<std::vector<RedisReply>> pipeline(
      const std::vector<std::vector<std::string>>& commands) = 0;
  virtual Result<RedisReply> evalScript(RedisScript& script, const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args) = 0;
  virtual bool connected() const = 0;
  // How many times the client has moved to a different primary since it started (a Sentinel
  // failover): writes the old primary had not yet replicated may be missing on the new one.
  virtual uint64_t primaryEpoch() const { return 0; }
  // True on Redis Cluster (ClusterClient): every command and script must keep its keys in one
  // hash slot, so callers that batch many keys (presence's batch script, the contact book's
  // MULTI) group them per slot instead (docs/redis-cluster.md).
  virtual bool clustered() const { return false; }
};

}  // namespace callmesh::redis
