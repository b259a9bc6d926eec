#include "services/notification/text_rate_limit.h"

namespace callmesh::notification {

int64_t TextRateLimiter::admit(const std::string& agent, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(agent);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_agents_) {
      // Drop buckets that have refilled to full: forgetting them changes nothing. A busy one is
      // kept (forgetting it would hand its agent a fresh burst of texts).
      std::erase_if(buckets_, [now_ms](const auto& b) { return b.second.full(now_ms); });
      if (buckets_.size() >= max_agents_) return 60000;  // every bucket busy: refuse, bounded
    }
    it = buckets_.emplace(agent, TokenBucket(burst_, per_second_, now_ms)).first;
  }
  return it->second.take(now_ms);
}

}  // namespace callmesh::notification
