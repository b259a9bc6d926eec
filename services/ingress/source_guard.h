#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::ingress {

// One trusted network, IPv4 or IPv6.
struct Cidr {
  std::array<uint8_t, 16> address{};  // IPv4 stored as ::ffff:a.b.c.d
  int prefix_bits = 0;                // over the 128-bit form

  static Result<Cidr> parse(const std::string& text);
  bool contains(const std::array<uint8_t, 16>& ip) const;
};

// Parses "10.0.0.1" or "::1" into the 128-bit form Cidr uses; false when it is neither.
bool parseIp(const std::string& text, std::array<uint8_t, 16>& out);

struct SourceGuardSettings {
  std::vector<std::string> trusted;     // CIDRs; requests from elsewhere are refused
  double requests_per_second = 500;     // sustained rate one source may send
  double burst = 1000;                  // bucket size: short spikes a gateway may send
  int64_t ban_ms = 30000;               // how long a source that overran its bucket is ignored
  size_t max_tracked_sources = 100000;  // memory bound: the least recently seen is forgotten
};

// Decides, per request, whether a source may be served: the ACL of trusted gateways, then a
// token bucket per source address with a temporary ban when it runs dry (Kamailio's pike idea).
// A banned source is dropped without a reply: answering a flood only feeds it. The per-source
// table is an LRU bounded by max_tracked_sources: a new source past the bound forgets the one
// seen least recently, in O(1), so a sweep of spoofed addresses costs memory and time bounded by
// the setting (a flooder keeps its ban: each of its packets makes it the most recent).
class SourceGuard {
 public:
  enum class Verdict { Allow, Untrusted, RateLimited, Banned };

  static Result<SourceGuard> create(const SourceGuardSettings& settings);

  Verdict check(const std::string& ip, int64_t now_ms);

  uint64_t bans() const { return bans_; }
  size_t trackedSources() const { return buckets_.size(); }

 private:
  explicit SourceGuard(SourceGuardSettings settings) : settings_(std::move(settings)) {}

  struct Bucket {
    double tokens = 0;
    int64_t updated_ms = 0;
    int64_t banned_until_ms = 0;
    std::list<std::string>::iterator recency;  // its place in recency_
  };

  SourceGuardSettings settings_;
  std::vector<Cidr> trusted_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> recency_;  // most recently seen first
  uint64_t bans_ = 0;
};

}  // namespace callmesh::ingress
