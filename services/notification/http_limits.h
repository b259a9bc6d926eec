#pragma once

// The arithmetic of the API's limits (issue 17 item 2), pure: no clock of its own (callers pass
// monotonic milliseconds), no locks, no sockets. ApiGate (api_gate.h) holds them behind a mutex.
#include <cstdint>
#include <string>
#include <unordered_map>

#include "shared/base/token_bucket.h"

namespace callmesh::notification {

// Open streams per key (an agent) and in all, each under its cap.
class StreamQuota {
 public:
  enum class Verdict { Open, KeyFull, ReplicaFull };

  StreamQuota(int per_key, int total) : per_key_(per_key), total_cap_(total) {}

  // Counts one more stream for `key` unless a cap is reached (then changes nothing).
  Verdict open(const std::string& key);
  // Undoes one open() of `key`.
  void close(const std::string& key);
  int total() const { return total_; }
  int of(const std::string& key) const;

 private:
  int per_key_;
  int total_cap_;
  int total_ = 0;
  std::unordered_map<std::string, int> open_;  // only keys with streams: bounded by total_cap_
};

// Seconds for a Retry-After header: a wait in milliseconds rounded up, at least 1.
int retryAfterSeconds(int64_t wait_ms);

}  // namespace callmesh::notification
