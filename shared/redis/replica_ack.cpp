#include "shared/redis/replica_ack.h"

namespace callmesh::redis {

namespace {

Status loadScript(RedisClient& redis, RedisScript& script) {
  if (!script.sha.empty()) return {};
  auto loaded = redis.command({"SCRIPT", "LOAD", script.body});
  if (!loaded.ok()) return loaded.error();
  if (loaded->type != RedisReply::Type::String)
    return Error{ErrorKind::Internal, "SCRIPT LOAD failed: " + loaded->text, "replicated write"};
  script.sha = loaded->text;
  return {};
}

// WAIT's answer for a write that went through: an error unless `ack.replicas` confirmed it.
Status checkWaitReply(const RedisReply& acked, const ReplicaAck& ack) {
  if (acked.type != RedisReply::Type::Integer) {
    return Error{ErrorKind::Internal, "WAIT answered: " + acked.text, "replicated write"};
  }
  if (acked.integer < ack.replicas) {
    return Error{ErrorKind::Timeout,
                 "written on the primary but confirmed by " + std::to_string(acked.integer) +
                     " of " + std::to_string(ack.replicas) + " replicas within " +
                     std::to_string(ack.timeout_ms) +
                     " ms; it may survive a failover or not, retry",
                 "replicated write"};
  }
  return {};
}

}  // namespace

Result<RedisReply> evalScriptReplicated(RedisClient& redis, RedisScript& script,
                                        const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args, ReplicaAck ack) {
  if (ack.replicas <= 0) return redis.evalScript(script, keys, args);
  const std::vector<std::string> wait{"WAIT", std::to_string(ack.replicas),
                                      std::to_string(ack.timeout_ms)};
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (auto st = loadScript(redis, script); !st.ok()) return st.error();
    auto replies = redis.pipeline({evalShaCommand(script, keys, args), wait});
    if (!replies.ok()) return replies.error();
    RedisReply& reply = (*replies)[0];
    if (isNoScript(reply)) {
      script.sha.clear();  // nothing was written: load and run once more
      continue;
    }
    if (reply.type == RedisReply::Type::Error) return std::move(reply);
    if (auto st = checkWaitReply((*replies)[1], ack); !st.ok()) return st.error();
    return std::move(reply);
  }
  return Error{ErrorKind::Internal, "script vanished twice (NOSCRIPT after SCRIPT LOAD)",
               "replicated write"};
}

Result<std::vector<RedisReply>> evalScriptsReplicated(RedisClient& redis,
                                                      const std::vector<ScriptCall>& calls,
                                                      ReplicaAck ack) {
  std::vector<RedisReply> out;
  if (calls.empty()) return out;
  for (const auto& c : calls) {
    if (auto st = loadScript(redis, *c.script); !st.ok()) return st.error();
  }
  const std::vector<std::string> wait{"WAIT", std::to_string(ack.replicas),
                                      std::to_string(ack.timeout_ms)};
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size() * (ack.replicas > 0 ? 2 : 1));
  for (const auto& c : calls) {
    commands.push_back(evalShaCommand(*c.script, c.keys, c.args));
    if (ack.replicas > 0) commands.push_back(wait);
  }
  auto replies = redis.pipeline(commands);
  if (!replies.ok()) return replies.error();
  size_t step = ack.replicas > 0 ? 2 : 1;
  out.reserve(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    RedisReply& reply = (*replies)[i * step];
    if (isNoScript(reply)) {  // nothing was written by this one: alone, loading the script
      calls[i].script->sha.clear();
      auto again = evalScriptReplicated(redis, *calls[i].script, calls[i].keys, calls[i].args, ack);
      if (!again.ok()) return again.error();
      out.push_back(std::move(again.value()));
      continue;
    }
    if (ack.replicas > 0 && reply.type != RedisReply::Type::Error) {
      if (auto st = checkWaitReply((*replies)[i * step + 1], ack); !st.ok()) return st.error();
    }
    out.push_back(std::move(reply));
  }
  return out;
}

}  // namespace callmesh::redis
