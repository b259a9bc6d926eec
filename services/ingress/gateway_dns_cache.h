#pragma once

#include <cstdint>
#include <vector>

#include "services/ingress/gateway_dns.h"

namespace callmesh::ingress {

// How long a gateway name's answer is used and what happens when asking again fails.
struct DnsCachePolicy {
  int64_t min_ttl_ms = 1000;     // a TTL of 0 would mean asking in a loop: floor
  int64_t max_ttl_ms = 3600000;  // a huge TTL would pin an address for days: ceiling
  int64_t retry_ms = 5000;       // after a failed resolution, ask again this much later
  int64_t stale_ms = 300000;     // past its TTL, a failed name keeps its last answer this long
};

// One configured gateway name's answer and when to ask again. Pure: the caller passes the time
// (steady ms), so tests drive expiry with a fake clock.
class CachedResolution {
 public:
  enum class Outcome { Fresh, KeptStale, Dropped, NeverResolved };

  explicit CachedResolution(const DnsCachePolicy& policy) : policy_(policy) {}

  // True when a resolution should start now: never asked, the TTL ran out, or a retry is due.
  bool due(int64_t now_ms) const { return now_ms >= next_due_ms_; }
  int64_t nextDueMs() const { return next_due_ms_; }

  // A good answer: used until now + TTL (clamped to the policy), then asked again.
  void succeeded(const Resolution& r, int64_t now_ms);
  // A failed resolution: the last good answer stays until its expiry + stale_ms (KeptStale),
  // then is dropped (Dropped); before any good answer there is nothing (NeverResolved).
  Outcome failed(int64_t now_ms);

  // The targets the set uses now (empty once dropped or before the first answer).
  const std::vector<ResolvedTarget>& targets() const { return targets_; }
  bool stale() const { return stale_; }

 private:
  DnsCachePolicy policy_;
  std::vector<ResolvedTarget> targets_;
  bool resolved_once_ = false;
  bool stale_ = false;
  int64_t expires_ms_ = 0;
  int64_t next_due_ms_ = INT64_MIN;  // due at once
};

}  // namespace callmesh::ingress
