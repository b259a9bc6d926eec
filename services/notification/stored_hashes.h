#pragma once

// Reading the Redis hashes this service keeps (records, contacts, number settings) the same way
// in each of its books: one pipelined HGETALL per key, then field by field.
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/redis_client.h"

namespace callmesh::notification {

// Calls visit(field, value) for each field of one HGETALL reply.
template <typename Visit>
void forEachField(const redis::RedisReply& hash, Visit&& visit) {
  for (size_t k = 0; k + 1 < hash.elements.size(); k += 2) {
    visit(hash.elements[k].text, hash.elements[k + 1].text);
  }
}

// HGETALL of every key in one round trip; calls visit(index into keys, reply) for each hash that
// exists (a missing key reads as an empty array and is skipped).
template <typename Visit>
Status forEachStoredHash(redis::RedisClient& redis, const std::vector<std::string>& keys,
                         Visit&& visit) {
  if (keys.empty()) return {};
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(keys.size());
  for (const auto& key : keys) cmds.push_back({"HGETALL", key});
  auto replies = redis.pipeline(cmds);
  if (!replies.ok()) return replies.error();
  for (size_t i = 0; i < replies->size(); ++i) {
    const auto& rep = (*replies)[i];
    if (rep.type != redis::RedisReply::Type::Array || rep.elements.empty()) continue;
    visit(i, rep);
  }
  return {};
}

// The one-id read of a batch loader: the first (only) item loaded, or none.
template <typename T>
Result<std::optional<T>> firstLoaded(Result<std::vector<T>> loaded) {
  if (!loaded.ok()) return loaded.error();
  if (loaded->empty()) return std::optional<T>();
  return std::optional<T>(std::move(loaded->front()));
}

}  // namespace callmesh::notification
