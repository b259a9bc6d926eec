#pragma once

// Token buckets, pure arithmetic on the monotonic milliseconds the caller gives (no clock, no
// locks): the API's per-agent and per-address limits and the per-agent text rate (notification)
// share them. The ingress's SourceGuard keeps its own per-source levels: its rates live outside
// the bucket (a trunk's or the ingress-wide ones) and a dry bucket starts a ban.
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace callmesh {

// `burst` tokens at most, refilled at `per_second`; one request takes one token.
class TokenBucket {
 public:
  TokenBucket(double burst, double per_second, int64_t now_ms)
      : burst_(burst), per_ms_(per_second / 1000.0), tokens_(burst), at_ms_(now_ms) {}

  // Takes a token: 0 when there was one, else the milliseconds until there will be (>= 1).
  int64_t take(int64_t now_ms);
  // The same wait without taking anything.
  int64_t wait(int64_t now_ms) const;
  // Refilled to `burst` by `now_ms`: forgetting this bucket would change nothing.
  bool full(int64_t now_ms) const { return tokensAt(now_ms) >= burst_; }

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

}  // namespace callmesh
