#pragma once

#include <charconv>
#include <cstdint>
#include <string>

#include "shared/redis/redis_reply.h"

namespace callmesh::router {

// Readers for one field of an HMGET reply, shared by the Redis-backed directories.

// The field's text, or nullptr when the field is absent (nil).
inline const std::string* textField(const redis::RedisReply& r) {
  return r.type == redis::RedisReply::Type::String ? &r.text : nullptr;
}

// The field as a base-10 integer; 0 when absent. Sets `bad` when present but not an integer.
inline int64_t integerField(const redis::RedisReply& r, bool& bad) {
  if (r.type == redis::RedisReply::Type::Integer) return r.integer;
  if (r.type != redis::RedisReply::Type::String) return 0;
  int64_t value = 0;
  const char* end = r.text.data() + r.text.size();
  auto [ptr, ec] = std::from_chars(r.text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    bad = true;
    return 0;
  }
  return value;
}

}  // namespace callmesh::router
