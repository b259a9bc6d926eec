#include "shared/base/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace callmesh {

namespace {
// Refills are sums of doubles; a token within a billionth of whole counts as whole.
constexpr double kWhole = 1.0 - 1e-9;
}  // namespace

double TokenBucket::tokensAt(int64_t now_ms) const {
  int64_t elapsed = std::max<int64_t>(0, now_ms - at_ms_);  // a clock never runs back here
  return std::min(burst_, tokens_ + static_cast<double>(elapsed) * per_ms_);
}

int64_t TokenBucket::wait(int64_t now_ms) const {
  double tokens = tokensAt(now_ms);
  if (tokens >= kWhole) return 0;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - tokens) / per_ms_)));
}

int64_t TokenBucket::take(int64_t now_ms) {
  tokens_ = tokensAt(now_ms);
  at_ms_ = std::max(at_ms_, now_ms);
  if (tokens_ >= kWhole) {
    tokens_ = std::max(0.0, tokens_ - 1.0);
    return 0;
  }
  return wait(now_ms);
}

int64_t KeyedBuckets::take(const std::string& key, int64_t now_ms) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
  } else {
    if (index_.size() >= max_keys_ && !lru_.empty()) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
    lru_.emplace_front(key, TokenBucket(burst_, per_second_, now_ms));
    it = index_.emplace(key, lru_.begin()).first;
  }
  return it->second->second.take(now_ms);
}

int64_t KeyedBuckets::wait(const std::string& key, int64_t now_ms) const {
  auto it = index_.find(key);
  return it == index_.end() ? 0 : it->second->second.wait(now_ms);
}

}  // namespace callmesh
