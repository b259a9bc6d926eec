// callmesh-router: decides, for every call, which phones ring, in what order and for how long.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "services/router/redis_agent_availability.h"
#include "services/router/redis_contact_directory.h"
#include "services/router/redis_outbound_history.h"
#include "services/router/redis_retry_gate.h"
#include "services/router/router_service.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"
#include "shared/metrics/admin_server.h"
#include "shared/metrics/timed_redis_client.h"
#include "shared/redis/redis_client_factory.h"
#include "shared/runtime/process_signals.h"
#include "shared/runtime/service_args.h"
#include "shared/runtime/service_zmq.h"
#include "shared/transport/envelope.h"
#include "shared/transport/notice_channel.h"
#include "shared/transport/poll_loop.h"
#include "shared/transport/reply_server.h"
#include "shared/transport/service_context.h"

using namespace callmesh;

namespace {
// After a Redis failure, decisions skip Redis (failing open at once) for this long.
constexpr int64_t kRedisRetryAfterMs = 1000;
// How often the routing file is checked for changes (one stat) and a finished load is swapped in.
constexpr int kReloadPollMs = 250;
// How often the config epoch is announced when nothing changed (ingresses stop reusing decisions
// after missing three).
constexpr int kNoticeEveryMs = 1000;
}  // namespace

int main(int argc, char** argv) {
  auto& signals = runtime::installProcessSignals();
  auto start = runtime::startService(argc, argv, "callmesh-router");
  if (!start) return 2;
  auto& args = start->args;
  auto& cfg = start->config;
  const auto& settings = cfg.router;
  Logger log("router", parseLogLevel(settings.log_level));
  auto registry = start->registry;
  router::RouterMetrics metrics(*registry);
  // Presence, contacts and outbound history are read from Redis on every decision (one client: the
  // router has one thread). All fail open: Redis unreachable = agent available, caller unknown,
  // outbound call treated as a first call.
  SystemClock clock;
  auto hiredis = redis::makeRedisClient(start->redisEndpoint());
  metrics::TimedRedisClient redis_client(*hiredis, *registry, "router");
  router::RedisRetryGate redis_gate(clock, kRedisRetryAfterMs);
  router::RedisAgentAvailability presence(redis_client, redis_gate, metrics.presence_errors);
  router::RedisContactDirectory contacts(redis_client, redis_gate, metrics.contact_errors);
  // seed 002: the caller ID last used with each contact, and each project's attempts.
  router::RedisOutboundHistory outbound(redis_client, redis_gate, metrics.outbound_history_errors);
  router::SystemRandomSource random;
  router::RouterService service(settings.routing_file, settings.decision_reuse_ms, metrics, log,
                                presence, contacts, outbound, random);
  // The versioned routing documents (docs/provisioning.md) on a connection of their own: the
  // helper thread reads them while the loop thread decides calls on `hiredis`.
  auto documents_client = redis::makeRedisClient(start->redisEndpoint());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  router::RedisRoutingDocumentSource documents(
      *documents_client, std::string(host) + ":" + std::to_string(::getpid()), clock);
  // --check validates the files only: with routing_source redis and no seed file, nothing more.
  if (args.check_only && settings.routing_file.empty()) return 0;
  if (!args.check_only) service.useDocuments(&documents, settings.routing_source == "redis");
  if (auto st = service.loadInitial(); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.error().describe().c_str());
    return 2;
  }
  if (args.check_only) return 0;

  // Always ready: without Redis the router still routes, failing open (counted in
  // callmesh_router_directory_errors_total), which beats taking every call down with it.
  metrics::AdminServer admin(registry, [] { return std::string(); });
  if (auto st = admin.start(settings.net.admin); !st.ok()) {
    log.error("startup_failed", {{"error", st.error().describe()}});
    return 1;
  }
  auto zmq = runtime::startServiceZmq(cfg, "router", /*serves=*/true, *registry, log);
  if (!zmq) return 1;
  auto bound = runtime::bindOrLog<transport::ReplyServer>(
      log, settings.net.bind, zmq->context, settings.net.bind, zmq->security.serving());
  if (!bound) return 1;
  transport::ReplyServer& server = *bound;
  server.handle(std::string(transport::message_type::kRoute),
                [&](const zmq::message_t& p) { return service.handle(p); });
  server.onError([&](std::string_view type, const Error& e) {
    log.warn("request_dropped", {{"type", type}, {"error", e.describe()}});
  });
  // Ingresses reuse decisions that depend on the number alone only while the config epoch they
  // were made under is the one announced here: at once after a reload, and every second for
  // subscribers that joined late or lost a notice.
  auto publisher = runtime::bindOrLog<transport::NoticePublisher>(
      log, settings.notices_bind, zmq->context, settings.notices_bind, zmq->security.serving());
  if (!publisher) return 1;
  transport::NoticePublisher& notices = *publisher;
  auto announce = [&] { notices.publish(service.notice().asBytes()); };
  transport::PollLoop loop(clock);
  loop.addSocket(server.socket(), [&] { server.serveReady(); });
  // SIGHUP or a changed routing file: parsed off the loop thread, swapped in on a later tick.
  loop.addTimer(kReloadPollMs, [&] {
    if (service.pollReload(signals.reload.exchange(false))) announce();
  });
  loop.addTimer(kNoticeEveryMs, announce);
  log.info("started", {{"bind", settings.net.bind},
                       {"notices", settings.notices_bind},
                       {"admin", settings.net.admin},
                       {"routing_source", settings.routing_source},
                       {"routing_file", settings.routing_file},
                       {"config_epoch", std::to_string(service.configEpoch())}});
  loop.run(signals.stop);
  log.info("stopped", {});
  return 0;
}
