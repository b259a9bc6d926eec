#include "services/ingress/gateway_dns_cache.h"

#include <algorithm>

namespace callmesh::ingress {

void CachedResolution::succeeded(const Resolution& r, int64_t now_ms) {
  int64_t ttl_ms =
      std::clamp(static_cast<int64_t>(r.ttl) * 1000, policy_.min_ttl_ms, policy_.max_ttl_ms);
  targets_ = r.targets;
  resolved_once_ = true;
  stale_ = false;
  expires_ms_ = now_ms + ttl_ms;
  next_due_ms_ = expires_ms_;
}

CachedResolution::Outcome CachedResolution::failed(int64_t now_ms) {
  next_due_ms_ = now_ms + policy_.retry_ms;
  if (!resolved_once_) return Outcome::NeverResolved;
  if (targets_.empty()) return Outcome::Dropped;
  if (now_ms < expires_ms_) return Outcome::Fresh;  // asked early: the answer is still valid
  if (now_ms - expires_ms_ < policy_.stale_ms) {
    stale_ = true;
    return Outcome::KeptStale;
  }
  targets_.clear();
  stale_ = false;
  return Outcome::Dropped;
}

}  // namespace callmesh::ingress
