#pragma once

// What every part of the HTTP API is given: its metrics, the books and clients it works with, and
// the authenticated caller. Shared by the server (api_server.h) and its route groups
// (api_routes.h), so a route group needs neither the server nor the other groups.
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "services/notification/call_record_store.h"
#include "services/notification/contact_book.h"
#include "services/notification/event_hub.h"
#include "services/notification/notification_store.h"
#include "services/notification/number_settings.h"
#include "services/notification/presence_client.h"
#include "services/notification/text_sender.h"
#include "services/notification/webhook_book.h"
#include "shared/base/clock.h"
#include "shared/config/cluster_config.h"
#include "shared/log/logger.h"
#include "shared/redis/redis_client.h"

namespace callmesh::notification {

class TokenBook;         // api_tokens.h
class AgentBook;         // agent_book.h
class TextRateLimiter;   // text_rate_limit.h
class RecordingControl;  // recording_control.h

struct ApiMetrics {
  explicit ApiMetrics(prometheus::Registry& registry);
  prometheus::Family<prometheus::Counter>& requests_family;
  prometheus::Gauge& streams;
  prometheus::Counter& texts_sent;
  prometheus::Counter& texts_failed;
  prometheus::Counter& texts_limited;  // texts refused 429 by the per-agent rate limit
  // callmesh_notification_claims_total{outcome="won|repeat|held|not_found"} (the family is shared
  // with NotificationMetrics, which declares it) and the time from the call's end to its first
  // claim.
  prometheus::Family<prometheus::Counter>& claims_family;
  prometheus::Histogram& time_to_claim_seconds;
  prometheus::Counter& claims(const char* outcome) {
    return claims_family.Add({{"outcome", outcome}});
  }
  // Stop/start recording commands by action (stop|start|invalid) and outcome (a fixed set,
  // call_recording_routes.cpp).
  prometheus::Family<prometheus::Counter>& recording_family;
  prometheus::Counter& recordingCommands(const std::string& action, const std::string& outcome) {
    return recording_family.Add({{"action", action}, {"outcome", outcome}});
  }
  prometheus::Counter& requests(int status) {
    return requests_family.Add({{"code", std::to_string(status / 100) + "xx"}});
  }
};

// Everything the API works with; all borrowed, all safe to use from many threads.
struct ApiDeps {
  const config::ClusterConfig& config;  // agents' numbers, caps
  TokenBook& tokens;                    // who a bearer token is (re-read when its file changes)
  AgentBook& agents;                    // the agent registry over cluster.yaml's agents
  TextRateLimiter& text_limits;         // texts out per agent
  NotificationStore& store;
  ContactBook& contacts;
  NumberSettingsBook& numbers;
  redis::RedisClient& redis;    // reads of live calls, event publishing
  redis::RedisClient& leases;   // reads of the limiter's slot leases (cluster.yaml redis_leases)
  PresenceDirectory& presence;  // availability changes go through agent-presence
  TextGateway* texts;           // null when notification.text_gateway is not set
  EventHub& hub;
  const Clock& clock;
  Logger& log;
  ApiMetrics& metrics;
  CallRecordStore& records;               // call detail records (issue 20)
  WebhookBook& webhooks;                  // webhook subscriptions and dead letters (issue 20)
  RecordingControl* recording = nullptr;  // null when ingress.control_endpoint is not set
};

// Who a bearer token belongs to.
struct Principal {
  std::string agent_id;
  bool admin = false;
};

}  // namespace callmesh::notification
