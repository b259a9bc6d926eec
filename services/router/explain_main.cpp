// callmesh-explain: loads a routing.yaml and prints the ring plan and trace for one call, without
// any running service. Without --redis, presence and the CRM are not consulted: every agent counts
// as available and every caller as unknown. With --redis host:port, agent presence and the
// caller's contacts are read from that Redis exactly as the router reads them. An outbound call's
// history (seed 002) is read from that Redis too, but never written: explaining a call is not
// placing it. A random caller ID is one draw; the trace lists what it was drawn from.
//
//   callmesh-explain routing.yaml --dialed N --caller N --at 2026-11-22T10:00:00Z [--zip Z]
//                    [--path N]... [--project ID] [--last-outcome NAME] [--redis HOST:PORT]
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "services/router/outcome_text.h"
#include "services/router/redis_agent_availability.h"
#include "services/router/redis_contact_directory.h"
#include "services/router/redis_outbound_history.h"
#include "services/router/redis_retry_gate.h"
#include "services/router/route_planner.h"
#include "services/router/router_metrics.h"
#include "services/router/time_zone.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"
#include "shared/redis/hiredis_client.h"

using namespace callmesh;

namespace {
constexpr int kRedisTimeoutMs = 1000;  // offline tool: a slower Redis is fine

int usage() {
  std::fprintf(stderr,
               "usage: callmesh-explain ROUTING.yaml --dialed NUMBER [--caller NUMBER]\n"
               "         [--at 2026-11-22T10:00:00Z] [--zip ZIP] [--path NUMBER]...\n"
               "         [--project ID] [--last-outcome NAME]   outbound calls (seed 002)\n"
               "         [--redis HOST:PORT]   read presence and contacts from Redis\n");
  return 2;
}

// Reads a contact's outbound history and forgets the call instead of recording it.
class ReadOnlyOutboundHistory final : public router::OutboundHistory {
 public:
  explicit ReadOnlyOutboundHistory(router::OutboundHistory& inner) : inner_(inner) {}
  Result<router::ContactHistory> read(const std::string& callee,
                                      const std::string& project) override {
    return inner_.read(callee, project);
  }
  Status record(const std::string&, const std::string&, const router::OutboundAttempt&) override {
    return {};
  }

 private:
  router::OutboundHistory& inner_;
};

// Where presence and contacts come from: nowhere (everyone available, nobody known) or Redis.
struct Directories {
  router::EveryoneAvailable everyone;
  router::NoContacts nobody;
  SystemClock clock;
  prometheus::Registry registry;
  router::RouterMetrics metrics{registry};
  std::unique_ptr<redis::HiredisClient> client;
  std::unique_ptr<router::RedisRetryGate> gate;
  std::unique_ptr<router::RedisAgentAvailability> presence;
  std::unique_ptr<router::RedisContactDirectory> contacts;
  router::NoOutboundHistory no_history;
  std::unique_ptr<router::RedisOutboundHistory> redis_history;
  std::unique_ptr<ReadOnlyOutboundHistory> history;

  void useRedis(const std::string& host, int port) {
    client =
        std::make_unique<redis::HiredisClient>(redis::RedisEndpoint{host, port, kRedisTimeoutMs});
    gate = std::make_unique<router::RedisRetryGate>(clock, 0);
    presence =
        std::make_unique<router::RedisAgentAvailability>(*client, *gate, metrics.presence_errors);
    contacts =
        std::make_unique<router::RedisContactDirectory>(*client, *gate, metrics.contact_errors);
    redis_history = std::make_unique<router::RedisOutboundHistory>(*client, *gate,
                                                                   metrics.outbound_history_errors);
    history = std::make_unique<ReadOnlyOutboundHistory>(*redis_history);
  }
  router::OutboundHistory& outbound() {
    return history ? static_cast<router::OutboundHistory&>(*history) : no_history;
  }
  const router::AgentAvailability& availability() const {
    return presence ? static_cast<const router::AgentAvailability&>(*presence) : everyone;
  }
  const router::ContactDirectory& directory() const {
    return contacts ? static_cast<const router::ContactDirectory&>(*contacts) : nobody;
  }
};
}  // namespace

int main(int argc, char** argv) {
  std::string file;
  std::string redis_address;
  router::CallQuery q;
  q.call_id = "explain";
  std::string at = "1970-01-01T00:00:00Z";
  bool have_at = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (arg == "--dialed" && (v = value())) {
      q.dialed = v;
    } else if (arg == "--caller" && (v = value())) {
      q.caller = v;
    } else if (arg == "--at" && (v = value())) {
      at = v;
      have_at = true;
    } else if (arg == "--zip" && (v = value())) {
      q.caller_zip = v;
    } else if (arg == "--path" && (v = value())) {
      q.path.emplace_back(v);
    } else if (arg == "--project" && (v = value())) {
      q.project = v;
    } else if (arg == "--last-outcome" && (v = value())) {
      q.last_outcome = v;
    } else if (arg == "--redis" && (v = value())) {
      redis_address = v;
    } else if (!arg.empty() && arg[0] != '-' && file.empty()) {
      file = arg;
    } else {
      return usage();
    }
  }
  if (file.empty() || q.dialed.empty() || !have_at) return usage();
  auto when = router::parseRfc3339(at);
  if (!when.ok()) {
    std::fprintf(stderr, "--at: %s\n", when.error().describe().c_str());
    return 2;
  }
  q.received_at_ms = when.value();
  Directories dirs;
  if (!redis_address.empty()) {
    std::string host;
    int port = 0;
    if (!config::splitHostPort(redis_address, host, port)) {
      std::fprintf(stderr, "--redis: '%s' is not HOST:PORT\n", redis_address.c_str());
      return 2;
    }
    dirs.useRedis(host, port);
  }
  auto cfg = router::loadRoutingConfig(file);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.error().describe().c_str());
    return 1;
  }
  router::QueueCursors cursors;
  router::SystemRandomSource random;
  router::RoutePlanner planner(cfg.value(), dirs.availability(), dirs.directory(), cursors,
                               dirs.outbound(), random);
  std::fputs(router::describeOutcome(planner.decide(q)).c_str(), stdout);
  if (dirs.client) {
    auto presence_failed = dirs.metrics.presence_errors.unreachable.Value();
    auto contacts_failed = dirs.metrics.contact_errors.unreachable.Value();
    if (presence_failed > 0 || contacts_failed > 0) {
      std::fprintf(stderr,
                   "warning: Redis %s unreachable (%g presence, %g contact lookups failed): "
                   "agents counted as available, caller as unknown, as the router would\n",
                   redis_address.c_str(), presence_failed, contacts_failed);
      return 3;
    }
  }
  return 0;
}
