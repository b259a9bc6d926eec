#pragma once

// The arithmetic of the API's limits (issue 17 item 2), pure: no clock of its own (callers pass
// monotonic milliseconds), no locks, no sockets. ApiGate (api_gate.h) holds them behind a mutex.
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace callmesh::notification {

// `burst` tokens at most, refilled at `per_second`; one request takes one token.
class TokenBucket {
 public:
  TokenBucket(double burst, double per_second, int64_t now_ms)
      : burst_(burst), per_ms_(per_second / 1000.0), tokens_(burst), at_ms_(now_ms) {}

  // Takes a token: 0 when there was one, else the milliseconds until there will be (>= 1).
  int64_t take(int64_t now_ms);
  // The same wait without taking anything.
  int64_t wait(int64_t now_ms) const;

 private:
  double tokensAt(int64_t now_ms) const;

  double burst_;
  double per_ms_;
  double tokens_;
  int64_t at_ms_;
};

// A bucket per key (an agent, a source address) in a table of at most `max_keys`: the least
// recently used key is forgotten first, so an outsider inventing keys costs a bounded table and
// at worst resets the oldest key's budget.
class KeyedBuckets {
 public:
  KeyedBuckets(double burst, double per_second, size_t max_keys)
      : burst_(burst), per_second_(per_second), max_keys_(max_keys) {}

  // TokenBucket::take for `key` (a new key starts full).
  int64_t take(const std::string& key, int64_t now_ms);
  // TokenBucket::wait for `key`; 0 for a key never seen.
  int64_t wait(const std::string& key, int64_t now_ms) const;
  size_t size() const { return index_.size(); }

 private:
  using Entry = std::pair<std::string, TokenBucket>;
  double burst_;
  double per_second_;
  size_t max_keys_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

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
