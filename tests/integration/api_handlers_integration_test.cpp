// The API's handlers called as plain functions (issue 17 item 7: request struct in, reply struct
// out, no HTTP server) against a real redis-server: the guard (hashed tokens, roles), seed
// 004_ee4e98a6a7f6781b.txt's visibility rule, the per-agent text rate (429 + Retry-After), and
// 503 bodies that name no internals.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "services/notification/agent_api.h"
#include "services/notification/agent_book.h"
#include "services/notification/api_guard.h"
#include "services/notification/api_tokens.h"
#include "services/notification/notification_api.h"
#include "services/notification/serialized_redis_client.h"
#include "services/notification/text_api.h"
#include "services/notification/text_rate_limit.h"
#include "shared/redis/hiredis_client.h"
#include "shared/testing/manual_clock.h"
#include "shared/testing/redis_server.h"

namespace callmesh::notification {
namespace {

using nlohmann::json;

class NoPresence final : public PresenceDirectory {
 public:
  Result<AgentPresenceView> setAvailability(const std::string&, const std::string&) override {
    return Error{ErrorKind::Disconnected, "presence at tcp://10.1.2.3:7003 down", "test"};
  }
  Result<std::vector<AgentPresenceView>> query(const std::vector<std::string>&) override {
    return Error{ErrorKind::Disconnected, "presence at tcp://10.1.2.3:7003 down", "test"};
  }
};

class CountingGateway final : public TextGateway {
 public:
  Result<int> send(const std::string&, const std::string&, const std::string&) override {
    ++sent;
    return 200;
  }
  int sent = 0;
};

config::ClusterConfig makeConfig() {
  config::ClusterConfig cfg;
  auto& n = cfg.notification;
  n.tokens[tokenHash("alice-secret")] = {"alice", config::ApiRole::Agent};
  n.tokens[tokenHash("carol-secret")] = {"carol", config::ApiRole::Agent};
  n.tokens[tokenHash("root-secret")] = {"root", config::ApiRole::Admin};
  n.agents["alice"] = {"+15550301", "+15550200", ""};
  n.text_rate_per_minute = 2;
  n.text_burst = 2;
  return cfg;
}

class ApiHandlers : public ::testing::Test {
 protected:
  redis::RedisEndpoint endpoint() { return {server_.host(), server_.port(), 500}; }
  ApiRequest post(const std::string& path, std::vector<std::string> params, json body) {
    return ApiRequest{"POST", path, std::move(params), {}, body.dump(), ""};
  }
  void missedCall(const std::string& id, std::vector<std::string> selected) {
    NotificationRecord r;
    r.id = id;
    r.number = "+15550200";
    r.caller = "+15557770001";
    r.rung = r.visible_to = std::move(selected);
    r.at_ms = clock_.nowMs();
    ASSERT_TRUE(store_.record(r).value());
  }
  std::string state(const std::string& id) {
    return direct_.command({"HGET", NotificationStore::recordKey(id), "state"})->text;
  }

  testing::RedisServer server_;
  redis::HiredisClient direct_{endpoint()};
  config::ClusterConfig cfg_ = makeConfig();
  TokenBook tokens_{cfg_.notification.tokens, ""};
  AgentBook agents_{cfg_};
  TextRateLimiter limits_{cfg_.notification.text_rate_per_minute, cfg_.notification.text_burst};
  SerializedRedisClient redis_{std::make_unique<redis::HiredisClient>(endpoint())};
  NotificationStore store_{redis_};
  ContactBook contacts_{redis_};
  NumberSettingsBook numbers_{redis_, cfg_.notification.numbers};
  NoPresence presence_;
  CountingGateway gateway_;
  EventHub hub_;
  // Wall time: records expire by it (notification.retention); steps only where a test says.
  testing::ManualClock clock_{SystemClock().nowMs()};
  Logger log_{"handlers-test", LogLevel::Error};
  prometheus::Registry registry_;
  ApiMetrics metrics_{registry_};
  CallRecordStore records_{redis_, config::CallRecordSettings{}};
  WebhookBook webhooks_{redis_, config::WebhookSettings{}};
  ApiDeps d_{cfg_,      tokens_,   agents_, limits_, store_, contacts_, numbers_, redis_,   redis_,
             presence_, &gateway_, hub_,    clock_,  log_,   metrics_,  records_, webhooks_};
};

TEST_F(ApiHandlers, GuardTakesOnlyTokensWhoseHashIsConfiguredAndChecksTheRole) {
  ApiRequest req{"GET", "/v1/notifications/unclaimed", {}, {}, "", ""};
  auto none = guardedCall(d_, Access::AdminOnly, "", req, listUnclaimedNotifications);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer");
  auto by_hash = guardedCall(d_, Access::AdminOnly, "Bearer " + tokenHash("root-secret"), req,
                             listUnclaimedNotifications);
  EXPECT_EQ(by_hash.status, 401);
  EXPECT_EQ(by_hash.body.dump().find(tokenHash("root-secret")), std::string::npos);
  EXPECT_EQ(
      guardedCall(d_, Access::AdminOnly, "Bearer alice-secret", req, listUnclaimedNotifications)
          .status,
      403);
  EXPECT_EQ(
      guardedCall(d_, Access::AdminOnly, "Bearer root-secret", req, listUnclaimedNotifications)
          .status,
      200);
}

// seed 004_ee4e98a6a7f6781b.txt: "If a call is not answered by any of the selected agents, all
// users can see the record of the missed call. ... Any selected agents can make further
// operations or communications with the unknown number."
TEST_F(ApiHandlers, EveryUserSeesTheUnclaimedMissedCallOnlySelectedAgentsClaimIt) {
  missedCall("c1", {"alice"});
  Principal carol{"carol", false}, alice{"alice", false};
  ApiRequest list{"GET", "/v1/notifications", {}, {{"state", "unclaimed"}}, "", ""};
  auto seen = listNotifications(d_, list, carol);
  ASSERT_EQ(seen.status, 200);
  ASSERT_EQ(seen.body["notifications"].size(), 1u);
  EXPECT_EQ(seen.body["notifications"][0]["id"], "c1");
  EXPECT_EQ(seen.body["notifications"][0]["can_claim"], false);
  auto refused = claimNotification(
      d_, post("/v1/notifications/c1/claim", {"c1"}, {{"action", "call_back"}}), carol);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body["error"], "not_selected");
  EXPECT_EQ(state("c1"), "unclaimed");
  auto won = claimNotification(
      d_, post("/v1/notifications/c1/claim", {"c1"}, {{"action", "call_back"}}), alice);
  EXPECT_EQ(won.status, 200);
  // "the notification will be removed for all other users"
  EXPECT_EQ(listNotifications(d_, list, carol).body["notifications"].size(), 0u);
  EXPECT_EQ(
      getNotification(d_, ApiRequest{"GET", "/v1/notifications/c1", {"c1"}, {}, "", ""}, carol)
          .status,
      404);
}

TEST_F(ApiHandlers, TextsArePacedPerAgentWith429AndRetryAfterAndNothingSent) {
  Principal alice{"alice", false};
  json body = {{"to", "+15557770001"}, {"text", "hi"}, {"mode", "manual"}, {"from", "personal"}};
  EXPECT_EQ(sendTextTo(d_, post("/v1/texts", {}, body), alice).status, 200);
  EXPECT_EQ(sendTextTo(d_, post("/v1/texts", {}, body), alice).status, 200);
  auto limited = sendTextTo(d_, post("/v1/texts", {}, body), alice);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body["error"], "rate_limited");
  EXPECT_EQ(limited.header("Retry-After"), "30");  // 2 a minute: one every 30 s
  EXPECT_EQ(gateway_.sent, 2);
  // Text back is paced too, and a refused text back claims nothing.
  missedCall("c2", {"alice"});
  auto back = textBack(
      d_, post("/v1/notifications/c2/text", {"c2"}, {{"text", "hi"}, {"from", "personal"}}), alice);
  EXPECT_EQ(back.status, 429);
  EXPECT_EQ(state("c2"), "unclaimed");
  clock_.advance(30000);
  EXPECT_EQ(sendTextTo(d_, post("/v1/texts", {}, body), alice).status, 200);
}

TEST_F(ApiHandlers, UnavailableBodiesNameNoHostPortOrDriverMessage) {
  server_.stop();
  Principal alice{"alice", false};
  auto down = listNotifications(d_, ApiRequest{"GET", "/v1/notifications", {}, {}, "", ""}, alice);
  EXPECT_EQ(down.status, 503);
  std::string text = down.body.dump();
  EXPECT_EQ(text.find(std::to_string(server_.port())), std::string::npos) << text;
  EXPECT_EQ(text.find("127.0.0.1"), std::string::npos) << text;
  EXPECT_EQ(down.body["message"], "state store unavailable; try again shortly");
  auto presence = putOwnPresence(d_, post("/v1/presence", {}, {{"availability", "away"}}), alice);
  EXPECT_EQ(presence.status, 503);
  EXPECT_EQ(presence.body.dump().find("10.1.2.3"), std::string::npos);
}

}  // namespace
}  // namespace callmesh::notification
