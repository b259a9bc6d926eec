#pragma once

#include <string>

namespace callmesh::redis {

// Names of the concurrency-limiter's sorted sets (docs/redis-keys.md), in one place for the
// limiter that writes them and the API that reports cap use. The braces are Redis Cluster hash
// tags: a number in an account lives under the account's tag, beside the account's own set.
inline std::string accountSlotsKey(const std::string& account_id) {
  return "cm:{acct:" + account_id + "}:slots";
}

inline std::string numberSlotsKey(const std::string& number, const std::string& account_id = {}) {
  if (!account_id.empty()) return accountSlotsKey(account_id) + ":" + number;
  return "cm:{" + number + "}:slots";
}

}  // namespace callmesh::redis
