#include "services/notification/text_rate_limit.h"

#include <algorithm>
#include <cmath>

namespace callmesh::notification {

int64_t takeToken(TextBucket& bucket, int64_t now_ms, double per_minute, double burst) {
  if (now_ms > bucket.at_ms) {
    bucket.tokens = std::min(
        burst, bucket.tokens + static_cast<double>(now_ms - bucket.at_ms) * per_minute / 60000.0);
    bucket.at_ms = now_ms;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return 0;
  }
  double missing = 1.0 - bucket.tokens;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(missing * 60000.0 / per_minute)));
}

int64_t TextRateLimiter::admit(const std::string& agent, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(agent);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_agents_) {
      // Drop buckets that have refilled to full: forgetting them changes nothing.
      for (auto b = buckets_.begin(); b != buckets_.end();) {
        const TextBucket& k = b->second;
        double level = k.tokens + static_cast<double>(std::max<int64_t>(now_ms - k.at_ms, 0)) *
                                      per_minute_ / 60000.0;
        b = level >= burst_ ? buckets_.erase(b) : std::next(b);
      }
      if (buckets_.size() >= max_agents_) return 60000;  // every bucket busy: refuse, bounded
    }
    it = buckets_.emplace(agent, TextBucket{burst_, now_ms}).first;
  }
  return takeToken(it->second, now_ms, per_minute_, burst_);
}

}  // namespace callmesh::notification
