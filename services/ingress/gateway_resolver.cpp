#include "services/ingress/gateway_resolver.h"

#include <algorithm>
#include <chrono>

namespace callmesh::ingress {

GatewayResolver::GatewayResolver(std::vector<GatewayName> names, const DnsCachePolicy& policy,
                                 LookupFactory factory, const Clock& clock)
    : names_(std::move(names)),
      clock_(clock),
      factory_(std::move(factory)),
      caches_(names_.size(), CachedResolution(policy)),
      pending_(names_.size()) {}

GatewayResolver::~GatewayResolver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void GatewayResolver::start() {
  if (names_.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

std::vector<NameUpdate> GatewayResolver::takeUpdates() {
  std::vector<NameUpdate> out;
  std::lock_guard lock(mutex_);
  for (auto& p : pending_) {
    if (p) out.push_back(std::move(*p));
    p.reset();
  }
  return out;
}

int64_t GatewayResolver::resolveDue(DnsLookup& dns, int64_t now_ms) {
  int64_t next = INT64_MAX;
  for (size_t i = 0; i < names_.size(); ++i) {
    CachedResolution& cache = caches_[i];
    if (cache.due(now_ms)) {
      Result<Resolution> r = resolveGateway(dns, names_[i]);
      std::string error;
      uint32_t ttl = 0;
      if (r.ok()) {
        cache.succeeded(*r, now_ms);
        ttl = r->ttl;
      } else {
        cache.failed(now_ms);
        error = r.error().describe();
      }
      std::lock_guard lock(mutex_);
      auto& p = pending_[i];
      if (!p) p = NameUpdate{i, {}, false, 0, 0, "", 0};
      p->targets = cache.targets();
      p->stale = cache.stale();
      (r.ok() ? p->resolved : p->failed) += 1;
      if (r.ok()) p->ttl = ttl;
      p->last_error = error;
    }
    next = std::min(next, cache.nextDueMs());
  }
  return next;
}

void GatewayResolver::loop() {
  std::unique_ptr<DnsLookup> dns = factory_();
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    int64_t next = dns ? resolveDue(*dns, clock_.steadyMs()) : INT64_MAX;
    lock.lock();
    // Woken early only to stop; at least 100 ms between rounds whatever the TTLs say.
    int64_t wait = std::max<int64_t>(100, std::min<int64_t>(next - clock_.steadyMs(), 60000));
    wake_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stopping_; });
  }
}

}  // namespace callmesh::ingress
