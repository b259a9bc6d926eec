// callmesh-notification: follow-up records for unknown callers (seed 004), contacts, texts and the
// HTTP API.
#include <cstdio>
#include <memory>

#include "services/notification/agent_book.h"
#include "services/notification/api_server.h"
#include "services/notification/api_tokens.h"
#include "services/notification/index_trim.h"
#include "services/notification/notification_service.h"
#include "services/notification/recording_control.h"
#include "services/notification/redis_event_feed.h"
#include "services/notification/serialized_redis_client.h"
#include "services/notification/stream_visibility.h"
#include "services/notification/text_rate_limit.h"
#include "services/notification/webhook_dispatcher.h"
#include "shared/base/clock.h"
#include "shared/codec/call_event_batch.h"
#include "shared/config/agent_registry.h"
#include "shared/config/cluster_config.h"
#include "shared/metrics/admin_server.h"
#include "shared/metrics/timed_redis_client.h"
#include "shared/redis/redis_client_factory.h"
#include "shared/runtime/process_signals.h"
#include "shared/runtime/registry_follower.h"
#include "shared/runtime/service_args.h"
#include "shared/runtime/service_zmq.h"
#include "shared/transport/envelope.h"
#include "shared/transport/poll_loop.h"
#include "shared/transport/reply_server.h"
#include "shared/transport/service_context.h"

using namespace callmesh;

int main(int argc, char** argv) {
  auto& signals = runtime::installProcessSignals();
  auto start = runtime::startService(argc, argv, "callmesh-notification");
  if (!start || start->args.check_only) return start ? 0 : 2;  // 2: a usage or config mistake
  auto& cfg = start->config;
  const auto& settings = cfg.notification;
  Logger log("notification", parseLogLevel(settings.log_level));
  auto registry = start->registry;
  notification::NotificationMetrics metrics(*registry);
  notification::ApiMetrics api_metrics(*registry);
  notification::ApiLimitMetrics api_limit_metrics(*registry);
  SystemClock clock;
  redis::RedisEndpoint redis_at = start->redisEndpoint();

  // The event loop's own connection.
  auto loop_hiredis = redis::makeRedisClient(redis_at);
  metrics::TimedRedisClient loop_redis(*loop_hiredis, *registry, "notification");
  const redis::ReplicaAck ack{cfg.redis.replica_acks, cfg.redis.replica_ack_timeout_ms};
  notification::NotificationStore store(loop_redis, settings.retention, ack);
  notification::ContactBook contacts(loop_redis);
  notification::NumberSettingsBook numbers(loop_redis, settings.numbers);
  notification::CallRecordStore records(loop_redis, settings.records, ack);
  notification::NotificationService service(records, store, contacts, numbers, loop_redis, metrics,
                                            log);

  // The API's connection, shared by its worker threads.
  notification::SerializedRedisClient api_redis(redis::makeRedisClient(redis_at));
  notification::NotificationStore api_store(api_redis, settings.retention, ack);
  // Token hashes: the config's plus the tokens file's (re-read every second when it changed).
  notification::TokenBook tokens(settings.tokens, settings.tokens_file);
  if (auto loaded = tokens.reloadIfChanged(); !loaded.ok()) {
    log.error("startup_failed", {{"error", loaded.error().describe()}});
    return 2;
  }
  // The agent registry (routing document `agents`, docs/provisioning.md) over cluster.yaml's
  // deprecated agent keys: its token hashes and texting numbers, followed every second.
  notification::AgentBook agents(cfg);
  for (const auto& key : config::deprecatedAgentKeys(cfg)) {
    log.warn("deprecated_config",
             {{"key", key}, {"use", "the agent registry (routing document agents)"}});
  }
  runtime::RegistryFollower registry_follower(loop_redis, log, [&](config::AgentRegistry roster) {
    tokens.setRegistry(config::registryTokens(roster));
    agents.setRegistry(std::move(roster));
  });
  registry_follower.poll();
  notification::TextRateLimiter text_limits(settings.text_rate_per_minute, settings.text_burst);
  notification::ContactBook api_contacts(api_redis);
  notification::NumberSettingsBook api_numbers(api_redis, settings.numbers);
  notification::CallRecordStore api_records(api_redis, settings.records, ack);
  notification::WebhookBook api_webhooks(api_redis, settings.webhooks);
  // Webhook deliveries: their own connection, shared by the dispatcher's workers.
  notification::SerializedRedisClient webhook_redis(redis::makeRedisClient(redis_at));
  notification::WebhookBook webhook_book(webhook_redis, settings.webhooks);
  notification::WebhookMetrics webhook_metrics(*registry);
  notification::WebhookDispatcher webhooks(webhook_book, webhook_metrics, clock, log);
  auto zmq = runtime::startServiceZmq(cfg, "notification", /*serves=*/true, *registry, log);
  if (!zmq) return 1;
  notification::ZmqPresenceClient presence(zmq->context, zmq->watch(cfg.presence.net.endpoints),
                                           zmq->security.towards("agent-presence"),
                                           cfg.ingress.request_timeout_ms * 3);
  // Recording control (issue 19): every ingress replica's control socket, when configured.
  std::unique_ptr<notification::ZmqRecordingControl> recording;
  if (!cfg.ingress.control_endpoints.empty()) {
    recording = std::make_unique<notification::ZmqRecordingControl>(
        zmq->context, zmq->watch(cfg.ingress.control_endpoints), zmq->security.towards("ingress"),
        cfg.ingress.request_timeout_ms * 3);
  }
  std::unique_ptr<notification::SipMessageSender> texts;
  if (!settings.text_gateway.empty()) {
    std::string host;
    int port = 0;
    config::splitHostPort(settings.text_gateway, host, port);
    texts = std::make_unique<notification::SipMessageSender>(host, port, settings.text_max_wait_ms);
  }
  notification::EventHub hub;
  notification::RedisEventFeed feed(redis_at, notification::kEventChannel,
                                    [&](const std::string& message) {
                                      for (auto& e : notification::streamEventsFromBus(message)) {
                                        hub.publish(std::move(e));
                                      }
                                    });
  // Cap use reads the slot leases where the limiter keeps them (`redis_leases`, else `redis`).
  std::unique_ptr<notification::SerializedRedisClient> leases_redis;
  if (start->leasesRedisSeparate()) {
    leases_redis = std::make_unique<notification::SerializedRedisClient>(
        redis::makeRedisClient(start->leasesRedisEndpoint()));
  }
  redis::RedisClient& leases = leases_redis ? static_cast<redis::RedisClient&>(*leases_redis)
                                            : static_cast<redis::RedisClient&>(api_redis);
  notification::ApiServer api({cfg, tokens, agents, text_limits, api_store, api_contacts,
                               api_numbers, api_redis, leases, presence, texts.get(), hub, clock,
                               log, api_metrics, api_records, api_webhooks, recording.get()},
                              api_limit_metrics);

  metrics::AdminServer admin(registry, [&] {
    return service.redisHealthy() ? std::string() : std::string("redis unreachable");
  });
  if (auto st = admin.start(settings.net.admin); !st.ok()) {
    log.error("startup_failed", {{"error", st.error().describe()}});
    return 1;
  }
  if (auto st = api.start(settings.api); !st.ok()) {
    log.error("startup_failed", {{"error", st.error().describe()}});
    return 1;
  }
  feed.start();
  webhooks.start();
  auto bound = runtime::bindOrLog<transport::ReplyServer>(
      log, settings.net.bind, zmq->context, settings.net.bind, zmq->security.serving());
  if (!bound) return 1;
  transport::ReplyServer& server = *bound;
  server.handle(std::string(transport::message_type::kCallEvent),
                [&](const zmq::message_t& p) { return service.handleCallEvent(p); });
  // The ingress sends its events in batches (one per publishing tick); each is applied in order.
  // Its ends' call records are written together (two Redis round trips a batch, not two a call).
  server.handle(std::string(transport::message_type::kCallEvents),
                [&](const zmq::message_t& p) { return service.handleCallEventBatch(p); });
  server.onError([&](std::string_view type, const Error& e) {
    log.warn("request_dropped", {{"type", type}, {"error", e.describe()}});
  });
  transport::PollLoop loop(clock);
  loop.addSocket(server.socket(), [&] { server.serveReady(); });
  loop.addTimer(1000, [&] {
    registry_follower.poll();
    auto changed = tokens.reloadIfChanged();
    if (!changed.ok()) {
      log.error("tokens_reload_failed", {{"error", changed.error().describe()}});
    } else if (*changed) {
      log.info("tokens_reloaded", {{"tokens", static_cast<int64_t>(tokens.size())}});
    }
  });
  // Indexes nobody writes any more (an idle agent's) are trimmed here, a bounded batch a tick,
  // on the loop's own connection (index_trim.h).
  notification::IndexTrimmer trimmer(loop_redis, settings.retention);
  loop.addTimer(settings.retention.trim_interval_ms, [&] {
    const auto& r = settings.retention;
    auto pass = trimmer.trimOldest(clock.nowMs(), r.trim_batch, r.trim_interval_ms);
    if (!pass.ok()) {
      metrics.redis_errors.Increment();
      log.warn("index_trim_failed", {{"error", pass.error().describe()}});
    } else {
      metrics.index_entries_trimmed.Increment(static_cast<double>(pass->entries));
    }
  });
  // agent-presence replicas behind a name: followed between API requests too (issue 18 item 4).
  loop.addTimer(cfg.zmq.resolve_interval_ms, [&] {
    presence.refreshEndpoints();
    if (recording) recording->refreshEndpoints();
  });
  log.info("started",
           {{"bind", settings.net.bind}, {"admin", settings.net.admin}, {"api", settings.api}});
  loop.run(signals.stop);
  api.stop();
  webhooks.stop();
  feed.stop();
  log.info("stopped", {});
  return 0;
}
