// callmesh-concurrency-limiter: leased call slots per dialed number, shared through Redis.
#include <cstdio>
#include <memory>

#include <unistd.h>

#include "services/concurrency-limiter/cap_follower.h"
#include "services/concurrency-limiter/limiter_service.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"
#include "shared/metrics/admin_server.h"
#include "shared/metrics/timed_redis_client.h"
#include "shared/redis/redis_client_factory.h"
#include "shared/runtime/process_signals.h"
#include "shared/runtime/service_args.h"
#include "shared/runtime/service_surface.h"
#include "shared/runtime/service_zmq.h"
#include "shared/transport/envelope.h"
#include "shared/transport/poll_loop.h"
#include "shared/transport/reply_server.h"
#include "shared/transport/service_context.h"

using namespace callmesh;

int main(int argc, char** argv) {
  auto& signals = runtime::installProcessSignals();
  auto start = runtime::startService(argc, argv, "callmesh-concurrency-limiter");
  if (!start || start->args.check_only) return start ? 0 : 2;  // 2: a usage or config mistake
  auto& cfg = start->config;
  const auto& settings = cfg.limiter;
  Logger log("concurrency-limiter", parseLogLevel(settings.log_level));

  auto registry = start->registry;
  concurrency_limiter::LimiterMetrics metrics(*registry, settings.caps, settings.default_cap);
  // The limiter's only keys are the slot leases: they live in `redis_leases` (default `redis`).
  auto hiredis = redis::makeRedisClient(start->leasesRedisEndpoint());
  metrics::TimedRedisClient redis_client(*hiredis, *registry, "concurrency_limiter");
  auto caps = concurrency_limiter::CapPolicy::fromSettings(settings);
  concurrency_limiter::SlotLedger ledger(redis_client, caps, settings.lease_ms);
  concurrency_limiter::LimiterService service(ledger, metrics, log);
  SystemClock clock;
  service.holdAfterFailover(redis_client, clock, settings.failover_hold_ms);

  metrics::AdminServer admin(
      registry, runtime::readyWhileRedisHealthy([&] { return service.redisHealthy(); }));
  if (!runtime::startAdmin(admin, settings.net.admin, log)) return 1;
  auto zmq = runtime::startServiceZmq(cfg, "concurrency-limiter", /*serves=*/true, *registry, log);
  if (!zmq) return 1;
  auto bound = runtime::bindOrLog<transport::ReplyServer>(
      log, settings.net.bind, zmq->context, settings.net.bind, zmq->security.serving());
  if (!bound) return 1;
  transport::ReplyServer& server = *bound;
  // The requests that queued while the limiter waited on Redis are served together: their
  // acquires share one round trip.
  server.handleBatch(std::string(transport::message_type::kLimiter),
                     [&](const std::vector<const zmq::message_t*>& payloads) {
                       return service.handleBatch(payloads);
                     });
  server.onError(runtime::logDroppedRequests(log));
  transport::PollLoop loop(clock);
  loop.addSocket(server.socket(), [&] { server.serveReady(); });
  // Caps changed at run time through the provisioning API (the active routing document's
  // number_caps/account_caps, docs/provisioning.md): read on a thread of its own from `redis`,
  // where the documents live, and applied here between requests.
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  concurrency_limiter::CapFollower follower(
      start->redisEndpoint(), "limiter:" + std::string(host) + ":" + std::to_string(::getpid()),
      clock);
  follower.start();
  std::string follow_error;
  loop.addTimer(50, [&] {
    if (auto next = follower.take()) {
      caps.applyRuntime(next->second);
      follower.applied(next->first);
      log.info("runtime_caps_applied",
               {{"version", std::to_string(next->first)},
                {"number_caps", static_cast<int64_t>(next->second.numbers.size())},
                {"account_caps", static_cast<int64_t>(next->second.accounts.size())}});
    }
    if (auto e = follower.lastError(); e != follow_error) {
      if (!e.empty()) log.warn("runtime_caps_unreadable", {{"error", e}});
      follow_error = e;
    }
  });
  log.info("started", {{"bind", settings.net.bind},
                       {"admin", settings.net.admin},
                       {"default_cap", settings.default_cap},
                       {"lease_ms", settings.lease_ms}});
  loop.run(signals.stop);
  log.info("stopped", {});
  return 0;
}
