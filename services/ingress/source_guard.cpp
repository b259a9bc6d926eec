#include "services/ingress/source_guard.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace callmesh::ingress {

bool parseIp(const std::string& text, std::array<uint8_t, 16>& out) {
  out.fill(0);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return true;
  }
  std::string bare = text;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  in6_addr v6{};
  if (inet_pton(AF_INET6, bare.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return true;
  }
  return false;
}

Result<Cidr> Cidr::parse(const std::string& text) {
  auto slash = text.find('/');
  std::string addr = text.substr(0, slash);
  Cidr c;
  if (!parseIp(addr, c.address))
    return invalidInput("'" + text + "' is not an IP network", "trusted_sources");
  bool v4 = addr.find(':') == std::string::npos;
  int max_bits = v4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string::npos) {
    try {
      bits = std::stoi(text.substr(slash + 1));
    } catch (...) {
      return invalidInput("'" + text + "' has no prefix length after /", "trusted_sources");
    }
    if (bits < 0 || bits > max_bits)
      return invalidInput("'" + text + "' prefix length out of range", "trusted_sources");
  }
  c.prefix_bits = v4 ? bits + 96 : bits;
  return c;
}

bool Cidr::contains(const std::array<uint8_t, 16>& ip) const {
  int bits = prefix_bits;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((ip[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

Result<SourceGuard> SourceGuard::create(const SourceGuardSettings& settings) {
  SourceGuard guard(settings);
  guard.source_rates_ = Rates{settings.requests_per_second, settings.burst,
                              settings.new_calls_per_second, settings.new_call_burst};
  std::vector<std::string> trusted = settings.trusted;
  if (trusted.empty()) trusted = {"127.0.0.0/8", "::1/128"};  // safe default: loopback only
  for (const auto& t : trusted) {
    auto c = Cidr::parse(t);
    if (!c.ok()) return c.error();
    guard.trusted_.push_back(c.value());
  }
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
  std::array<uint8_t, 16> addr{};
  if (!parseIp(ip, addr)) return Verdict::Untrusted;
  bool trusted = std::any_of(trusted_.begin(), trusted_.end(),
                             [&](const Cidr& c) { return c.contains(addr); });
  if (!trusted) return Verdict::Untrusted;
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
