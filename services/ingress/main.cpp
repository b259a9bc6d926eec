// callmesh-ingress: SIP from gateways, proxied statefully under the cluster's decisions.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>

#include "services/ingress/call_event_publisher.h"
#include "services/ingress/name_resolution_guard.h"
#include "services/ingress/sip_proxy.h"
#include "services/ingress/sofia_log.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"
#include "shared/metrics/admin_server.h"
#include "shared/runtime/process_signals.h"
#include "shared/runtime/service_args.h"
#include "shared/runtime/service_zmq.h"
#include "shared/transport/envelope.h"
#include "shared/transport/reply_server.h"
#include "shared/transport/request_client.h"
#include "shared/transport/service_context.h"

using namespace callmesh;

namespace {

// Names this process in event ids: host, pid and start time.
std::string makeInstanceId() {
  char host[64] = {0};
  gethostname(host, sizeof(host) - 1);
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return std::string(host) + "-" + std::to_string(getpid()) + "-" + std::to_string(now);
}

// The links to the rest of the cluster. Router and limiter answers decide a call: few attempts,
// short deadlines (fail closed with 503). Renewals and events wait longer.
// Each link connects to every replica its endpoint list resolves to (and follows the list as
// replicas come and go); its DEALER spreads requests over them.
ingress::IngressLinks buildLinks(const config::ClusterConfig& cfg, runtime::ServiceZmq& zmq,
                                 const Clock& clock, const std::string& instance_id) {
  transport::RequestClientOptions ask{cfg.ingress.request_timeout_ms, cfg.ingress.request_attempts,
                                      100000};
  transport::RequestClientOptions background{1000, 10, 100000};
  // One attempt per batch: the publisher re-sends a failed batch itself, after a backoff, and
  // bounds its backlog in events (EventBacklogLimits); 2 receivers x 8 batches in flight.
  transport::RequestClientOptions events{1000, 1, 64};
  auto client = [&](const std::vector<std::string>& endpoints, std::string_view service,
                    std::string_view type, transport::RequestClientOptions options) {
    auto c = std::make_unique<transport::RequestClient>(zmq.context, std::vector<std::string>{},
                                                        std::string(type), clock, options,
                                                        zmq.security.towards(service));
    c->follow(zmq.watch(endpoints));
    return c;
  };
  namespace type = transport::message_type;
  ingress::IngressLinks links;
  links.router = client(cfg.router.net.endpoints, "router", type::kRoute, ask);
  // Without notices (decision_reuse_ms: 0) every call asks the router.
  if (cfg.router.decision_reuse_ms > 0) {
    links.router_notices = std::make_unique<transport::NoticeSubscriber>(
        zmq.context, zmq.watch(cfg.router.notices_endpoints), zmq.security.towards("router"));
  }
  const auto& limiter = cfg.limiter.net.endpoints;
  links.limiter = client(limiter, "concurrency-limiter", type::kLimiter, ask);
  links.limiter_background = client(limiter, "concurrency-limiter", type::kLimiter, background);
  links.presence_events =
      client(cfg.presence.net.endpoints, "agent-presence", type::kCallEvents, events);
  links.notification_events =
      client(cfg.notification.net.endpoints, "notification", type::kCallEvents, events);
  links.events = std::make_unique<ingress::CallEventPublisher>(
      instance_id, clock,
      std::vector<ingress::EventSubscriber>{{links.presence_events.get(), false},
                                            {links.notification_events.get(), /*ends_only=*/true}},
      ingress::EventBacklogLimits{
          .max_events = static_cast<size_t>(cfg.ingress.max_event_backlog),
          .flush_after_events = static_cast<size_t>(cfg.ingress.event_flush_events)});
  const auto& in = cfg.ingress;
  auto guard = ingress::SourceGuard::create(
      {in.trusted_sources, static_cast<double>(in.rate_limit_rps),
       static_cast<double>(in.rate_limit_burst), static_cast<int64_t>(in.ban_s) * 1000,
       static_cast<size_t>(in.max_tracked_sources), static_cast<double>(in.new_call_rps),
       static_cast<double>(in.new_call_burst)});
  // The CIDRs were validated with the config; a failure here is a bug, not input.
  links.guard = std::make_unique<ingress::SourceGuard>(
      guard.ok() ? std::move(guard.value())
                 : ingress::SourceGuard::create(ingress::SourceGuardSettings{}).value());
  return links;
}

}  // namespace

int main(int argc, char** argv) {
  auto& signals = runtime::installProcessSignals();
  auto start = runtime::startService(argc, argv, "callmesh-ingress");
  if (!start || start->args.check_only) return start ? 0 : 2;  // 2: a usage or config mistake
  auto& cfg = start->config;
  Logger log("ingress", parseLogLevel(cfg.ingress.log_level));
  ingress::routeSofiaLogs(log);
  // Names the ingress may resolve: only those in its own configuration (peers, Redis). Ring
  // targets from the router join the list when they are used (SipProxy::sendBranch).
  std::vector<std::string> own_names{cfg.redis.host, cfg.ingress.sip_host,
                                     cfg.ingress.record_route_host};
  for (const auto* list :
       {&cfg.router.net.endpoints, &cfg.router.notices_endpoints, &cfg.limiter.net.endpoints,
        &cfg.presence.net.endpoints, &cfg.notification.net.endpoints}) {
    for (const auto& e : *list) own_names.push_back(ingress::hostOf(e));
  }
  ingress::allowNameResolution(own_names);
  auto registry = start->registry;
  ingress::IngressMetrics metrics(*registry);
  SystemClock clock;
  // The ingress is a client of every other service; it binds one socket only when recording
  // control is on (ingress.control_bind), whose ZAP handler accepts the notification API alone.
  bool controls = !cfg.ingress.control_bind.empty();
  auto zmq = runtime::startServiceZmq(cfg, "ingress", /*serves=*/controls, *registry, log);
  if (!zmq) return 1;
  const char* pod_ip = std::getenv("CALLMESH_POD_IP");
  ingress::ProxyIdentity identity{makeInstanceId(), pod_ip ? pod_ip : ""};
  ingress::AgentAuthMetrics auth_metrics(*registry);
  auto agent_auth = ingress::AgentAuth::create(cfg.ingress.agent_auth, &auth_metrics);
  if (!agent_auth.ok()) {
    log.error("startup_failed", {{"error", agent_auth.error().describe()}});
    return 1;
  }
  if (cfg.ingress.agent_auth.required && agent_auth.value()->credentialCount() == 0) {
    log.error("agent_credentials_missing",
              {{"file", cfg.ingress.agent_auth.credentials_file},
               {"effect", std::string("agents' outbound calls get 407 until credentials load")}});
  }
  {
    ingress::IngressLinks links = buildLinks(cfg, *zmq, clock, identity.instance_id);
    links.agent_auth = std::move(agent_auth.value());
    if (controls) {
      try {
        links.control = std::make_unique<transport::ReplyServer>(
            zmq->context, cfg.ingress.control_bind, zmq->security.serving());
      } catch (const zmq::error_t& e) {
        log.error("startup_failed",
                  {{"error", std::string("cannot bind ingress.control_bind: ") + e.what()},
                   {"endpoint", cfg.ingress.control_bind}});
        return 1;
      }
    }
    ingress::SipProxy proxy(cfg, std::move(links), identity, metrics, log, clock);
    if (auto st = proxy.start(); !st.ok()) {
      log.error("startup_failed", {{"error", st.error().describe()}});
      return 1;
    }
    metrics::AdminServer admin(
        registry, [&] { return proxy.ready() ? std::string() : std::string("draining"); });
    if (auto st = admin.start(cfg.ingress.admin); !st.ok()) {
      log.error("startup_failed", {{"error", st.error().describe()}});
      return 1;
    }
    log.info("started", {{"sip", cfg.ingress.sip_host + ":" + std::to_string(cfg.ingress.sip_port)},
                         {"admin", cfg.ingress.admin},
                         {"control", controls ? cfg.ingress.control_bind : std::string("off")}});
    proxy.run(signals.stop);
  }
  ingress::stopRoutingSofiaLogs();
  log.info("stopped", {});
  return 0;
}
