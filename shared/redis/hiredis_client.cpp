#include "shared/redis/hiredis_client.h"

#include <sys/time.h>

#include <cerrno>

#include <hiredis/hiredis.h>

namespace callmesh::redis {

namespace {

RedisReply copyReply(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::Integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::String;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::Status;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::Error;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::Array;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(copyReply(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::Nil;
  }
  return out;
}

timeval toTimeval(int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

void appendArgv(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data());
}

}  // namespace

HiredisClient::HiredisClient(RedisEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

HiredisClient::~HiredisClient() {
  if (context_) redisFree(context_);
}

std::string HiredisClient::where() const {
  return "redis " + endpoint_.host + ":" + std::to_string(endpoint_.port);
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
  return Error{timeout ? ErrorKind::Timeout : ErrorKind::Disconnected, detail, where()};
}

Status HiredisClient::ensureConnected() {
  if (context_) return {};
  context_ = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port,
                                     toTimeval(endpoint_.timeout_ms));
  if (context_ == nullptr)
    return Error{ErrorKind::Disconnected, "cannot allocate context", where()};
  if (context_->err) return dropContext("connect failed");
  redisSetTimeout(context_, toTimeval(endpoint_.timeout_ms));
  redisEnableKeepAlive(context_);
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
      return Error{ErrorKind::Internal, "SCRIPT LOAD failed: " + loaded->text, where()};
    }
    script.sha = loaded->text;
  }
  auto reply = command(build("EVALSHA", script.sha));
  if (!reply.ok()) return reply;
  // After a Redis restart or SCRIPT FLUSH the cache is empty: run the body, reload next time.
  if (isNoScript(reply.value())) {
    script.sha.clear();
    return command(build("EVAL", script.body));
  }
  return reply;
}

}  // namespace callmesh::redis
