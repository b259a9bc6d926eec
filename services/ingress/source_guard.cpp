#include "services/ingress/source_guard.h"

#include <algorithm>
#include <cmath>

namespace callmesh::ingress {

Result<SourceGuard> SourceGuard::create(const SourceGuardSettings& settings) {
  SourceGuard guard(settings);
  guard.source_rates_ = Rates{settings.requests_per_second, settings.burst,
                              settings.new_calls_per_second, settings.new_call_burst};
  std::vector<std::string> trusted = settings.trusted;
  if (trusted.empty()) trusted = {"127.0.0.0/8", "::1/128"};  // safe default: loopback only
  auto networks = net::CidrSet::parse(trusted, "trusted_sources");
  if (!networks.ok()) return networks.error();
  guard.trusted_ = std::move(networks.value());
  return guard;
}

SourceGuard::Bucket* SourceGuard::touch(const std::string& ip, int64_t now_ms, const Rates& rates) {
  auto it = buckets_.find(ip);
  if (it != buckets_.end()) {
    recency_.splice(recency_.begin(), recency_, it->second.recency);
    return &it->second;
  }
  if (settings_.max_tracked_sources == 0) return nullptr;
  while (buckets_.size() >= settings_.max_tracked_sources) {
    buckets_.erase(recency_.back());
    recency_.pop_back();
  }
  recency_.push_front(ip);
  Bucket fresh;
  fresh.tokens = rates.burst;
  fresh.updated_ms = now_ms;
  fresh.recency = recency_.begin();
  fresh.new_call_tokens = rates.new_call_burst;
  fresh.refusal_tokens = rates.new_call_burst;
  fresh.new_call_updated_ms = now_ms;
  return &buckets_.emplace(ip, fresh).first->second;
}

SourceGuard::Verdict SourceGuard::check(const std::string& ip, int64_t now_ms) {
  if (!trusted_.contains(ip)) return Verdict::Untrusted;
  return spend(ip, source_rates_, now_ms);
}

SourceGuard::Verdict SourceGuard::checkTrunk(const std::string& key, const Rates& rates,
                                             int64_t now_ms) {
  return spend(key, rates, now_ms);
}

SourceGuard::Verdict SourceGuard::spend(const std::string& key, const Rates& rates,
                                        int64_t now_ms) {
  Bucket* b = touch(key, now_ms, rates);
  if (!b) return Verdict::Allow;
  if (b->banned_until_ms > now_ms) return Verdict::Banned;
  double elapsed_s = static_cast<double>(now_ms - b->updated_ms) / 1000.0;
  b->tokens = std::min(rates.burst, b->tokens + elapsed_s * rates.requests_per_second);
  b->updated_ms = now_ms;
  if (b->tokens < 1.0) {
    b->banned_until_ms = now_ms + settings_.ban_ms;
    b->tokens = rates.burst;  // a fresh bucket when the ban ends
    ++bans_;
    return Verdict::RateLimited;
  }
  b->tokens -= 1.0;
  return Verdict::Allow;
}

SourceGuard::NewCall SourceGuard::checkNewCall(const std::string& key, int64_t now_ms,
                                               int& retry_after_s, const Rates* rates) {
  retry_after_s = 0;
  const Rates& r = rates ? *rates : source_rates_;
  Bucket* b = touch(key, now_ms, r);
  if (!b) return NewCall::Allow;
  if (b->new_calls_banned_until_ms > now_ms) return NewCall::Banned;
  double rate = r.new_calls_per_second;
  double burst = r.new_call_burst;
  double refill = static_cast<double>(now_ms - b->new_call_updated_ms) / 1000.0 * rate;
  b->new_call_tokens = std::min(burst, b->new_call_tokens + refill);
  b->refusal_tokens = std::min(burst, b->refusal_tokens + refill);
  b->new_call_updated_ms = now_ms;
  if (b->new_call_tokens >= 1.0) {
    b->new_call_tokens -= 1.0;
    return NewCall::Allow;
  }
  if (b->refusal_tokens < 1.0) {
    // Refused a whole burst more than the rate refills: not a spike any more.
    b->new_calls_banned_until_ms = now_ms + settings_.ban_ms;
    b->new_call_tokens = burst;  // fresh buckets when the ban ends
    b->refusal_tokens = burst;
    ++new_call_bans_;
    return NewCall::Banned;
  }
  b->refusal_tokens -= 1.0;
  double wait_s = rate > 0 ? (1.0 - b->new_call_tokens) / rate : 1.0;
  retry_after_s = std::max(1, static_cast<int>(std::ceil(wait_s)));
  return NewCall::Refused;
}

}  // namespace callmesh::ingress
