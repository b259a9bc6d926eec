#pragma once

// Texts out per agent (issue 17 item 4): a token bucket per agent, refilled at
// notification.text_rate_per_minute up to notification.text_burst. Pure arithmetic on the time it
// is given; one mutex so API threads can share it. Agents come from authenticated tokens, so the
// table is bounded by the token table; `max_agents` bounds it anyway (the oldest-full buckets,
// which hold nothing, are dropped first).
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "shared/base/token_bucket.h"

namespace callmesh::notification {

class TextRateLimiter {
 public:
  TextRateLimiter(int per_minute, int burst, size_t max_agents = 100000)
      : per_second_(per_minute / 60.0), burst_(burst), max_agents_(max_agents) {}

  // 0: `agent` may send one text now (and it is counted); else ms until it may.
  int64_t admit(const std::string& agent, int64_t now_ms);

 private:
  std::mutex mutex_;
  double per_second_;
  double burst_;
  size_t max_agents_;
  std::map<std::string, TokenBucket> buckets_;
};

}  // namespace callmesh::notification
