#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace callmesh::redis {

// A Redis reply copied out of hiredis, so it outlives the context and can be built in tests.
struct RedisReply {
  enum class Type { Nil, Integer, String, Status, Array, Error };
  Type type = Type::Nil;
  int64_t integer = 0;
  std::string text;  // String, Status, Error
  std::vector<RedisReply> elements;

  static RedisReply ofInteger(int64_t v) { return RedisReply{Type::Integer, v, {}, {}}; }
  static RedisReply ofString(std::string s) {
    return RedisReply{Type::String, 0, std::move(s), {}};
  }
  static RedisReply ofArray(std::vector<RedisReply> items) {
    return RedisReply{Type::Array, 0, {}, std::move(items)};
  }
  static RedisReply nil() { return RedisReply{}; }
  bool isNil() const { return type == Type::Nil; }
};

}  // namespace callmesh::redis
