#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "shared/base/result.h"
#include "shared/net/cidr.h"

namespace callmesh::ingress {

struct SourceGuardSettings {
  std::vector<std::string> trusted;     // CIDRs; requests from elsewhere are refused
  double requests_per_second = 500;     // sustained rate one source may send
  double burst = 1000;                  // bucket size: short spikes a gateway may send
  int64_t ban_ms = 30000;               // how long a source that overran its bucket is ignored
  size_t max_tracked_sources = 100000;  // memory bound: the least recently seen is forgotten
  double new_calls_per_second = 100;    // sustained new calls one source may start
  double new_call_burst = 200;          // a spike of new calls (a campaign, a failover)
};

// Decides, per request, whether a source may be served: the ACL of trusted gateways, then a
// token bucket per source address with a temporary ban when it runs dry (Kamailio's pike idea).
// A banned source is dropped without a reply: answering a flood only feeds it. The per-source
// table is an LRU bounded by max_tracked_sources: a new source past the bound forgets the one
// seen least recently, in O(1), so a sweep of spoofed addresses costs memory and time bounded by
// the setting (a flooder keeps its ban: each of its packets makes it the most recent).
//
// New calls (an initial INVITE, an out-of-dialog MESSAGE or OPTIONS) have a second, separate
// limit per source: a carrier trunk legitimately sends thousands of in-dialog requests a second
// (ACK, BYE, re-INVITE, INFO for its live calls), so the request rate alone cannot tell it from a
// flood of INVITEs without being either too loose to stop the flood or tight enough to cut the
// trunk's live calls. Each new call costs the cluster a slot acquire, a routing decision and
// state; the in-dialog requests of a call it admitted cost a relay. Over the new-call bucket a
// new call is answered 503 with Retry-After (RFC 3261 21.5.4): a gateway takes it as "try another
// server" and moves the call to another ingress, which a silent drop would only make it learn
// after its 32 s INVITE timeout. Those 503s come out of a second bucket of the same size and
// rate (the refusal budget), so what the ingress sends back is bounded by what it would have
// admitted: a source that keeps sending new calls at more than twice the limit empties it and
// its new calls are then dropped without a reply for ban_ms (a flood is not fed). The new-call
// ban leaves the source's in-dialog requests alone: a trunk that overshot keeps its live calls.
class SourceGuard {
 public:
  enum class Verdict { Allow, Untrusted, RateLimited, Banned };
  // For a new call from a source that check() allowed.
  enum class NewCall { Allow, Refused, Banned };  // Refused: 503; Banned: drop, no reply
  // The rates of one bucket: the ingress-wide ones per source, or a trunk's (trunk_book.h).
  struct Rates {
    double requests_per_second = 500;
    double burst = 1000;
    double new_calls_per_second = 100;
    double new_call_burst = 200;
  };

  static Result<SourceGuard> create(const SourceGuardSettings& settings);

  Verdict check(const std::string& ip, int64_t now_ms);
  // A request from a known trunk (trunk_book.h): trusted by being the trunk, one bucket for the
  // whole trunk (`key`, e.g. "trunk:carrier-a") at the trunk's rates, whatever its addresses.
  Verdict checkTrunk(const std::string& key, const Rates& rates, int64_t now_ms);
  // Call after check() allowed the request, for new calls only. `retry_after_s` (Refused): when
  // the source's new-call bucket will have a call's worth again, at least 1 s. `rates`: a
  // trunk's, with `key` its bucket; nullptr: the ingress-wide rates, `key` the source address.
  NewCall checkNewCall(const std::string& key, int64_t now_ms, int& retry_after_s,
                       const Rates* rates = nullptr);

  uint64_t bans() const { return bans_; }
  uint64_t newCallBans() const { return new_call_bans_; }
  size_t trackedSources() const { return buckets_.size(); }

 private:
  explicit SourceGuard(SourceGuardSettings settings) : settings_(std::move(settings)) {}

  struct Bucket {
    double tokens = 0;
    int64_t updated_ms = 0;
    int64_t banned_until_ms = 0;
    std::list<std::string>::iterator recency;  // its place in recency_
    double new_call_tokens = 0;                // new calls the source may start now
    double refusal_tokens = 0;                 // 503s it may still get before its new-call ban
    int64_t new_call_updated_ms = 0;
    int64_t new_calls_banned_until_ms = 0;
  };

  // The source's bucket, made most recent (created, forgetting the least recent past the bound);
  // nullptr when no source is tracked (max_tracked_sources 0).
  Bucket* touch(const std::string& key, int64_t now_ms, const Rates& rates);
  Verdict spend(const std::string& key, const Rates& rates, int64_t now_ms);

  SourceGuardSettings settings_;
  Rates source_rates_;  // from settings_
  net::CidrSet trusted_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> recency_;  // most recently seen first
  uint64_t bans_ = 0;
  uint64_t new_call_bans_ = 0;
};

}  // namespace callmesh::ingress
