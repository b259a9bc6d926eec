#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "services/ingress/gateway_dns.h"
#include "services/ingress/gateway_dns_cache.h"
#include "shared/base/clock.h"

namespace callmesh::ingress {

// What became of one configured name since the SIP thread last looked.
struct NameUpdate {
  size_t name = 0;                      // index into the names given to GatewayResolver
  std::vector<ResolvedTarget> targets;  // what the set uses now
  bool stale = false;                   // targets kept past their TTL after failures
  uint64_t resolved = 0;                // resolutions that succeeded since the last look
  uint64_t failed = 0;                  // resolutions that failed since the last look
  std::string last_error;               // the last failure's description ("" if none)
  uint32_t ttl = 0;                     // the last good answer's TTL (seconds)
};

// Resolves the configured gateway names (RFC 3263, gateway_dns.h) on a thread of its own, each
// again when its TTL runs out (CachedResolution), so the SIP thread never waits on DNS: it takes
// the updates on its tick. The names are fixed at construction, from configuration only: there
// is no way to ask this resolver about any other name (a name inside a received message never
// reaches DNS; name_resolution_guard.h covers getaddrinfo for the rest of the process).
class GatewayResolver {
 public:
  // Makes the thread's DnsLookup (on that thread: a res_state is per thread).
  using LookupFactory = std::function<std::unique_ptr<DnsLookup>()>;

  GatewayResolver(std::vector<GatewayName> names, const DnsCachePolicy& policy,
                  LookupFactory factory, const Clock& clock);
  ~GatewayResolver();  // stops the thread (waits at most one query's bounded time)
  GatewayResolver(const GatewayResolver&) = delete;
  GatewayResolver& operator=(const GatewayResolver&) = delete;

  void start();
  // The names that changed or were asked since the last call; at most one update per name.
  std::vector<NameUpdate> takeUpdates();
  const std::vector<GatewayName>& names() const { return names_; }

  // One round on the calling thread: resolves every name that is due at `now_ms`, and returns
  // when the next one is due. The thread loops on it; tests call it with a fake lookup and time.
  int64_t resolveDue(DnsLookup& dns, int64_t now_ms);

 private:
  void loop();

  const std::vector<GatewayName> names_;
  const Clock& clock_;
  LookupFactory factory_;
  std::vector<CachedResolution> caches_;  // resolver thread only

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::optional<NameUpdate>> pending_;  // one slot per name: bounded
  std::thread thread_;
};

}  // namespace callmesh::ingress
