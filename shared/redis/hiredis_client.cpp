#include "shared/redis/hiredis_client.h"

#include <cerrno>
#include <chrono>

#include <hiredis/hiredis.h>

#include "shared/redis/hiredis_io.h"

namespace callmesh::redis {

HiredisClient::HiredisClient(RedisEndpoint endpoint)
    : connector_(std::move(endpoint)),
      jitter_(std::random_device{}()),
      backoff_(connector_.endpoint().reconnect_min_ms, connector_.endpoint().reconnect_max_ms,
               [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(jitter_); }) {}

HiredisClient::~HiredisClient() {
  if (context_) redisFree(context_);
}

Error HiredisClient::dropContext(const std::string& what) {
  std::string detail = what;
  bool timeout = false;
  if (context_) {
    if (context_->errstr[0]) detail += ": " + std::string(context_->errstr);
    timeout = context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
    redisFree(context_);
    context_ = nullptr;
  }
  return Error{timeout ? ErrorKind::Timeout : ErrorKind::Disconnected, detail, connector_.where()};
}

Status HiredisClient::ensureConnected() {
  if (context_) return {};
  int64_t now = steadyMs();
  if (now < retry_at_ms_) {
    return Error{ErrorKind::Disconnected,
                 "reconnecting: next attempt in " + std::to_string(retry_at_ms_ - now) +
                     " ms (after " + std::to_string(backoff_.failures()) + " failed)",
                 connector_.where()};
  }
  auto c = connector_.connect();
  if (!c.ok()) {
    retry_at_ms_ = steadyMs() + backoff_.failed();
    return c.error();
  }
  backoff_.succeeded();
  context_ = c.value();
  // A different primary than before: writes the old one had not replicated may be gone. Readers
  // of primaryEpoch() (the limiter's recount hold) react to the change.
  if (had_primary_ && connector_.primary() != primary_) ++epoch_;
  primary_ = connector_.primary();
  had_primary_ = true;
  return {};
}

Result<RedisReply> HiredisClient::command(const std::vector<std::string>& argv) {
  auto replies = pipeline({argv});
  if (!replies.ok()) return replies.error();
  return std::move(replies.value().front());
}

Result<std::vector<RedisReply>> HiredisClient::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (auto st = ensureConnected(); !st.ok()) return st.error();
  for (const auto& argv : commands) appendArgv(context_, argv);
  std::vector<RedisReply> out;
  out.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      return dropContext("command failed");
    }
    auto* reply = static_cast<redisReply*>(raw);
    out.push_back(copyReply(reply));
    freeReplyObject(reply);
  }
  // A demoted or reloading server answers every write with an error but keeps the connection:
  // drop it so the next command finds the primary again. The replies are read in full first so
  // the connection is never left with unread ones.
  for (const auto& r : out) {
    if (demandsReconnect(r)) {
      std::string text = r.text;
      dropContext("not on a writable primary");
      return Error{ErrorKind::Disconnected, "not on a writable primary: " + text,
                   connector_.where()};
    }
  }
  return out;
}

Result<RedisReply> HiredisClient::evalScript(RedisScript& script,
                                             const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args) {
  auto build = [&](const std::string& verb, const std::string& body_or_sha) {
    std::vector<std::string> argv{verb, body_or_sha, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  if (script.sha.empty()) {
    auto loaded = command({"SCRIPT", "LOAD", script.body});
    if (!loaded.ok()) return loaded.error();
    if (loaded->type != RedisReply::Type::String) {
      return Error{ErrorKind::Internal, "SCRIPT LOAD failed: " + loaded->text, connector_.where()};
    }
    script.sha = loaded->text;
  }
  auto reply = command(build("EVALSHA", script.sha));
  if (!reply.ok()) return reply;
  // After a Redis restart, a failover to a replica or SCRIPT FLUSH the cache is empty: run the
  // body, reload next time.
  if (isNoScript(reply.value())) {
    script.sha.clear();
    return command(build("EVAL", script.body));
  }
  return reply;
}

}  // namespace callmesh::redis
