#include "services/notification/http_limits.h"

#include <algorithm>
#include <cmath>

namespace callmesh::notification {

StreamQuota::Verdict StreamQuota::open(const std::string& key) {
  if (total_ >= total_cap_) return Verdict::ReplicaFull;
  auto it = open_.find(key);
  if (it != open_.end() && it->second >= per_key_) return Verdict::KeyFull;
  ++open_[key];
  ++total_;
  return Verdict::Open;
}

void StreamQuota::close(const std::string& key) {
  auto it = open_.find(key);
  if (it == open_.end()) return;  // never opened: nothing to undo
  --total_;
  if (--it->second == 0) open_.erase(it);
}

int StreamQuota::of(const std::string& key) const {
  auto it = open_.find(key);
  return it == open_.end() ? 0 : it->second;
}

int retryAfterSeconds(int64_t wait_ms) {
  return static_cast<int>(std::max<int64_t>(1, (wait_ms + 999) / 1000));
}

}  // namespace callmesh::notification
