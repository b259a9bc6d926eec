// callmesh-agent-presence: agents' availability and live line state, derived from call events.
#include <cstdio>
#include <memory>

#include "services/agent-presence/presence_service.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"
#include "shared/metrics/admin_server.h"
#include "shared/metrics/timed_redis_client.h"
#include "shared/redis/redis_client_factory.h"
#include "shared/redis/slot_lease_reader.h"
#include "shared/runtime/process_signals.h"
#include "shared/runtime/registry_follower.h"
#include "shared/runtime/service_args.h"
#include "shared/runtime/service_surface.h"
#include "shared/runtime/service_zmq.h"
#include "shared/transport/envelope.h"
#include "shared/transport/poll_loop.h"
#include "shared/transport/reply_server.h"
#include "shared/transport/service_context.h"

using namespace callmesh;

namespace {
// How often the Redis client's primary epoch is looked at, how long after the grace the settled
// reconcile runs (Redis's clock and ours may differ a little), and how soon a failed one is
// retried.
constexpr int64_t kFailoverCheckMs = 250;
constexpr int64_t kFailoverSettleMarginMs = 1000;
constexpr int64_t kFailoverRetryMs = 1000;
}  // namespace

int main(int argc, char** argv) {
  auto& signals = runtime::installProcessSignals();
  auto start = runtime::startService(argc, argv, "callmesh-agent-presence");
  if (!start || start->args.check_only) return start ? 0 : 2;  // 2: a usage or config mistake
  auto& cfg = start->config;
  const auto& settings = cfg.presence;
  Logger log("agent-presence", parseLogLevel(settings.log_level));
  auto registry = start->registry;
  agent_presence::PresenceMetrics metrics(*registry);
  auto hiredis = redis::makeRedisClient(start->redisEndpoint());
  metrics::TimedRedisClient redis_client(*hiredis, *registry, "agent_presence");
  agent_presence::PresenceLedger ledger(redis_client);
  // Slot leases are read where the limiter keeps them: under the account's key for a number with
  // an account-wide cap, so the same limiter config builds both.
  // `redis_leases` when the leases have a Redis of their own.
  std::unique_ptr<redis::RedisClient> leases_hiredis;
  if (start->leasesRedisSeparate()) {
    leases_hiredis = redis::makeRedisClient(start->leasesRedisEndpoint());
  }
  redis::SlotLeaseReader leases(leases_hiredis ? static_cast<redis::RedisClient&>(*leases_hiredis)
                                               : static_cast<redis::RedisClient&>(redis_client),
                                redis::SlotKeys::fromConfig(cfg.limiter));
  agent_presence::PresenceReconciler reconciler(redis_client, ledger, leases);
  SystemClock clock;
  agent_presence::PresenceService service(ledger, reconciler, redis_client, settings.agents, clock,
                                          metrics, log);
  // Startup: rebuild line state from the live calls (lost `ended` events, a crash mid-update).
  // A call is stale only when its slot lease is gone and it was offered over a lease ago.
  const int64_t grace_ms = cfg.limiter.lease_ms * 2;
  (void)service.reconcile(grace_ms);

  metrics::AdminServer admin(
      registry, runtime::readyWhileRedisHealthy([&] { return service.redisHealthy(); }));
  if (!runtime::startAdmin(admin, settings.net.admin, log)) return 1;
  auto zmq = runtime::startServiceZmq(cfg, "agent-presence", /*serves=*/true, *registry, log);
  if (!zmq) return 1;
  auto bound = runtime::bindOrLog<transport::ReplyServer>(
      log, settings.net.bind, zmq->context, settings.net.bind, zmq->security.serving());
  if (!bound) return 1;
  transport::ReplyServer& server = *bound;
  server.handle(std::string(transport::message_type::kCallEvent),
                [&](const zmq::message_t& p) { return service.handleCallEvent(p); });
  // The ingress sends its events in batches (one per publishing tick); each batch is applied in
  // order, in one Redis round trip.
  server.handle(std::string(transport::message_type::kCallEvents),
                [&](const zmq::message_t& p) { return service.handleCallEventBatch(p); });
  server.handle(std::string(transport::message_type::kPresence),
                [&](const zmq::message_t& p) { return service.handlePresence(p); });
  server.onError(runtime::logDroppedRequests(log));
  transport::PollLoop loop(clock);
  loop.addSocket(server.socket(), [&] { server.serveReady(); });
  // The agent registry (the active routing document's `agents`, docs/provisioning.md): working
  // hours with IANA zones, followed within a second of an activation. cluster.yaml's
  // agent_presence.agents still loads, beneath it, with a warning.
  if (!settings.agents.empty()) {
    log.warn("deprecated_config", {{"key", "agent_presence.agents"},
                                   {"use", "the agent registry (routing document agents)"}});
  }
  runtime::RegistryFollower registry_follower(redis_client, log, [&](config::AgentRegistry agents) {
    service.setHours(config::mergedHours(agents, settings.agents));
  });
  registry_follower.poll();
  loop.addTimer(1000, [&] { registry_follower.poll(); });
  // Periodically only the live calls (the numbers' on-call sets): its cost must not grow with the
  // ended calls Redis keeps. The full scan of every record is for startup.
  loop.addTimer(settings.reconcile_interval_ms, [&] { service.periodicReconcile(grace_ms); });
  // After a Redis failover line state is rebuilt once the calls whose `ended` the old primary
  // lost are past their lease and the grace (FailoverReconcile), instead of waiting for the
  // periodic sweep. The check is local (no Redis) unless the run is due.
  service.followFailovers(grace_ms + kFailoverSettleMarginMs, kFailoverRetryMs);
  loop.addTimer(kFailoverCheckMs, [&] { service.reconcileAfterFailover(grace_ms); });
  log.info("started", {{"bind", settings.net.bind}, {"admin", settings.net.admin}});
  loop.run(signals.stop);
  log.info("stopped", {});
  return 0;
}
