// callmesh-router: decides, for every call, which phones ring, in what order and for how long.
#include <cstdio>
#include <memory>

#include "services/router/router_service.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"
#include "shared/metrics/admin_server.h"
#include "shared/runtime/process_signals.h"
#include "shared/runtime/service_args.h"
#include "shared/transport/envelope.h"
#include "shared/transport/poll_loop.h"
#include "shared/transport/reply_server.h"

using namespace callmesh;

int main(int argc, char** argv) {
  auto& signals = runtime::installProcessSignals();
  auto args = runtime::parseServiceArgs(argc, argv, "callmesh-router");
  if (!args.ok()) {
    std::fprintf(stderr, "%s\n", args.error().describe().c_str());
    return 2;
  }
  auto cfg = config::loadClusterConfig(args->config_path);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.error().describe().c_str());
    return 2;
  }
  const auto& settings = cfg->router;
  Logger log("router", parseLogLevel(settings.log_level));
  auto registry = std::make_shared<prometheus::Registry>();
  router::RouterMetrics metrics(*registry);
  // TODO(router): ask services/agent-presence and the CRM store; until then every agent counts as
  // available and every caller as unknown.
  router::EveryoneAvailable presence;
  router::NoContacts contacts;
  router::RouterService service(settings.routing_file, metrics, log, presence, contacts);
  if (auto st = service.loadInitial(); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.error().describe().c_str());
    return 2;
  }
  if (args->check_only) return 0;

  metrics::AdminServer admin(registry, [] { return std::string(); });
  if (auto st = admin.start(settings.net.admin); !st.ok()) {
    log.error("startup_failed", {{"error", st.error().describe()}});
    return 1;
  }
  zmq::context_t context(1);
  transport::ReplyServer server(context, settings.net.bind);
  server.handle(std::string(transport::message_type::kRoute),
                [&](const zmq::message_t& p) { return service.handle(p); });
  server.onError([&](std::string_view type, const Error& e) {
    log.warn("request_dropped", {{"type", type}, {"error", e.describe()}});
  });
  SystemClock clock;
  transport::PollLoop loop(clock);
  loop.addSocket(server.socket(), [&] { server.serveReady(); });
  loop.addTimer(1000, [&] {
    bool forced = signals.reload.exchange(false);
    service.reloadIfChanged(forced);
  });
  log.info("started", {{"bind", settings.net.bind},
                       {"admin", settings.net.admin},
                       {"routing_file", settings.routing_file}});
  loop.run(signals.stop);
  log.info("stopped", {});
  return 0;
}
