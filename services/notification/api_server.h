#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/notification/contact_book.h"
#include "services/notification/event_hub.h"
#include "services/notification/notification_store.h"
#include "services/notification/number_settings.h"
#include "services/notification/presence_client.h"
#include "services/notification/text_sender.h"
#include "shared/base/clock.h"
#include "shared/base/result.h"
#include "shared/config/cluster_config.h"
#include "shared/log/logger.h"
#include "shared/redis/redis_client.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace callmesh::notification {

struct ApiMetrics {
  explicit ApiMetrics(prometheus::Registry& registry);
  prometheus::Family<prometheus::Counter>& requests_family;
  prometheus::Gauge& streams;
  prometheus::Counter& texts_sent;
  prometheus::Counter& texts_failed;
  // callmesh_notification_claims_total{outcome="won|repeat|held|not_found"} (the family is shared
  // with NotificationMetrics, which declares it) and the time from the call's end to its first
  // claim.
  prometheus::Family<prometheus::Counter>& claims_family;
  prometheus::Histogram& time_to_claim_seconds;
  prometheus::Counter& claims(const char* outcome) {
    return claims_family.Add({{"outcome", outcome}});
  }
  prometheus::Counter& requests(int status) {
    return requests_family.Add({{"code", std::to_string(status / 100) + "xx"}});
  }
};

// Everything the API works with; all borrowed, all safe to use from many threads.
struct ApiDeps {
  const config::ClusterConfig& config;  // tokens, agents' numbers, caps
  NotificationStore& store;
  ContactBook& contacts;
  NumberSettingsBook& numbers;
  redis::RedisClient& redis;    // reads of live calls and slots, event publishing
  PresenceDirectory& presence;  // availability changes go through agent-presence
  TextGateway* texts;           // null when notification.text_gateway is not set
  EventHub& hub;
  const Clock& clock;
  Logger& log;
  ApiMetrics& metrics;
};

// Who a bearer token belongs to.
struct Principal {
  std::string agent_id;
  bool admin = false;
};

// The JSON HTTP API of docs/api/openapi.yaml (seed 004_ee4e98a6a7f6781b.txt): agents read their
// own notifications and records, claim, create/associate contacts, text back and set presence;
// admins manage contacts, numbers' settings and see agents, live calls and cap use; every client
// can follow GET /v1/stream (Server-Sent Events).
// Every refusal is a 4xx with {"error": code, "message": what is wrong} and changes nothing.
// Runs on cpp-httplib's worker threads (a pool of `threads`), separate from the event loop.
class ApiServer {
 public:
  explicit ApiServer(ApiDeps deps, int threads = 32);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds host:port (port 0 = any free port) and serves on a thread of its own.
  Status start(const std::string& host_port);
  void stop();
  int port() const { return port_; }

 private:
  void routes();

  ApiDeps deps_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace callmesh::notification
