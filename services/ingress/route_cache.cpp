#include "services/ingress/route_cache.h"

namespace callmesh::ingress {

std::string RouteCache::key(schema::CallKind kind, const std::string& dialed) {
  std::string k;
  k.reserve(dialed.size() + 2);
  k += static_cast<char>('0' + static_cast<int>(kind));
  k += ':';
  k += dialed;
  return k;
}

bool RouteCache::epochCurrent(uint64_t epoch, int64_t now_ms) const {
  return epoch != 0 && epoch == heard_epoch_ && now_ms - heard_at_ms_ <= kNoticeFreshMs;
}

void RouteCache::heard(uint64_t config_epoch, int64_t now_ms) {
  if (config_epoch != heard_epoch_) plans_.clear();
  heard_epoch_ = config_epoch;
  heard_at_ms_ = now_ms;
}

std::shared_ptr<const RoutePlan> RouteCache::find(schema::CallKind kind, const std::string& dialed,
                                                  int64_t now_ms) const {
  if (plans_.empty()) return nullptr;
  auto it = plans_.find(key(kind, dialed));
  if (it == plans_.end() || now_ms >= it->second.expires_at_ms) return nullptr;
  if (!epochCurrent(it->second.plan->config_epoch, now_ms)) return nullptr;
  return it->second.plan;
}

void RouteCache::offer(schema::CallKind kind, const std::string& dialed,
                       const std::shared_ptr<const RoutePlan>& plan, int64_t now_ms) {
  if (plan->reusable_for_ms == 0 || !epochCurrent(plan->config_epoch, now_ms)) return;
  std::string k = key(kind, dialed);
  if (plans_.size() >= max_entries_ && !plans_.count(k)) {
    std::erase_if(plans_, [now_ms](const auto& kv) { return now_ms >= kv.second.expires_at_ms; });
    if (plans_.size() >= max_entries_) return;
  }
  plans_[k] = Kept{plan, now_ms + plan->reusable_for_ms};
}

}  // namespace callmesh::ingress
