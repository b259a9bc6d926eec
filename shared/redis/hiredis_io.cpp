#include "shared/redis/hiredis_io.h"

#include <sys/time.h>

#include <chrono>

#include <hiredis/hiredis.h>

namespace callmesh::redis {

namespace {

timeval toTimeval(int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

}  // namespace

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

Result<RedisReply> roundTrip(redisContext* c, const std::vector<std::string>& argv) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  void* raw = redisCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data());
  if (raw == nullptr) {
    return Error{ErrorKind::Disconnected,
                 std::string("no reply") + (c->errstr[0] ? ": " + std::string(c->errstr) : ""),
                 argv.empty() ? std::string() : argv[0]};
  }
  auto* reply = static_cast<redisReply*>(raw);
  RedisReply out = copyReply(reply);
  freeReplyObject(reply);
  return out;
}

Result<redisContext*> openConnection(const RedisAddress& at, int timeout_ms,
                                     const RedisCredentials& credentials) {
  const std::string where = "redis " + at.text();
  redisContext* c = redisConnectWithTimeout(at.host.c_str(), at.port, toTimeval(timeout_ms));
  if (c == nullptr) return Error{ErrorKind::Disconnected, "cannot allocate context", where};
  if (c->err) {
    Error e{ErrorKind::Disconnected, "connect failed: " + std::string(c->errstr), where};
    redisFree(c);
    return e;
  }
  redisSetTimeout(c, toTimeval(timeout_ms));
  redisEnableKeepAlive(c);
  if (!credentials.empty()) {
    auto r = roundTrip(c, {"AUTH", credentials.user, credentials.password});
    if (!r.ok() || r->type == RedisReply::Type::Error) {
      // WRONGPASS / NOAUTH: name the user, never the password.
      Error e{
          ErrorKind::Disconnected,
          "AUTH as '" + credentials.user + "' refused: " + (r.ok() ? r->text : r.error().message),
          where};
      redisFree(c);
      return e;
    }
  }
  return c;
}

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
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

}  // namespace callmesh::redis
