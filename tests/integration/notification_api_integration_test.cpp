// The HTTP API (docs/api/openapi.yaml) against a real redis-server, seed 004_ee4e98a6a7f6781b.txt:
// visibility, claims, contacts' Source & Tag, admin-only company-number settings, texts' sender
// chain, live withdrawal over Server-Sent Events, and clear 4xx refusals that change nothing.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "services/notification/agent_book.h"
#include "services/notification/api_server.h"
#include "services/notification/api_tokens.h"
#include "services/notification/notification_service.h"
#include "services/notification/redis_event_feed.h"
#include "services/notification/serialized_redis_client.h"
#include "services/notification/stream_visibility.h"
#include "services/notification/text_rate_limit.h"
#include "shared/redis/hiredis_client.h"
#include "shared/testing/redis_server.h"

namespace callmesh::notification {
namespace {

using nlohmann::json;

class FakePresence final : public PresenceDirectory {
 public:
  Result<AgentPresenceView> setAvailability(const std::string& id, const std::string& a) override {
    AgentPresenceView v;
    v.agent_id = id;
    v.availability = a;
    return v;
  }
  Result<std::vector<AgentPresenceView>> query(const std::vector<std::string>& ids) override {
    std::vector<AgentPresenceView> out;
    for (const auto& id : ids) out.push_back(AgentPresenceView{id});
    return out;
  }
};

class FakeGateway final : public TextGateway {
 public:
  Result<int> send(const std::string& from, const std::string& to,
                   const std::string& body) override {
    std::lock_guard<std::mutex> lock(mutex);
    sent.push_back({from, to, body});
    return 200;
  }
  std::mutex mutex;
  std::vector<std::vector<std::string>> sent;
};

config::ClusterConfig makeConfig() {
  config::ClusterConfig cfg;
  auto& n = cfg.notification;
  n.tokens[tokenHash("alice-token")] = {"alice", config::ApiRole::Agent};
  n.tokens[tokenHash("bob-token-1")] = {"bob", config::ApiRole::Agent};
  n.tokens[tokenHash("carol-token")] = {"carol", config::ApiRole::Agent};
  n.tokens[tokenHash("admin-token")] = {"root", config::ApiRole::Admin};
  for (int i = 0; i < 100; ++i) {
    n.tokens[tokenHash("racer-token-" + std::to_string(i))] = {"racer-" + std::to_string(i),
                                                               config::ApiRole::Agent};
  }
  n.numbers["+15550200"] = {"Company line", "website", {"alice", "bob", "carol"}};
  n.agents["alice"] = {"+15550301", "+15550200", ""};
  n.agents["carol"] = {"", "+15550200", ""};  // no personal number
  cfg.limiter.caps["+15550200"] = 50;
  return cfg;
}

class NotificationApiIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    feed_.start();
    ASSERT_TRUE(api_.start("127.0.0.1:0").ok());
    for (int i = 0; i < 200 && !feed_.subscribed(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  void TearDown() override {
    api_.stop();
    feed_.stop();
  }
  redis::RedisEndpoint endpoint() { return {server_.host(), server_.port(), 2000}; }

  httplib::Result call(const std::string& method, const std::string& path, const std::string& token,
                       const std::string& body = "") {
    httplib::Client c("127.0.0.1", api_.port());
    c.set_read_timeout(10, 0);
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    if (method == "GET") return c.Get(path.c_str(), h);
    if (method == "DELETE") return c.Delete(path.c_str(), h);
    if (method == "PUT") return c.Put(path.c_str(), h, body, "application/json");
    return c.Post(path.c_str(), h, body, "application/json");
  }
  // Records a missed call from an unknown caller, visible to alice, bob and carol.
  void missed(const std::string& id) {
    NotificationRecord r;
    r.id = id;
    r.number = "+15550200";
    r.caller = "+15557770001";
    r.rung = r.visible_to = {"alice", "bob", "carol"};
    r.source = "Company line";
    r.tag = "website";
    r.at_ms = clock_.nowMs();
    ASSERT_TRUE(store_.record(r).value());
  }
  std::string state(const std::string& id) {
    return direct_.command({"HGET", NotificationStore::recordKey(id), "state"})->text;
  }

  testing::RedisServer server_;
  redis::HiredisClient direct_{endpoint()};
  config::ClusterConfig cfg_ = makeConfig();
  SerializedRedisClient redis_{std::make_unique<redis::HiredisClient>(endpoint())};
  NotificationStore store_{redis_};
  ContactBook contacts_{redis_};
  NumberSettingsBook numbers_{redis_, cfg_.notification.numbers};
  FakePresence presence_;
  FakeGateway gateway_;
  EventHub hub_;
  SystemClock clock_;
  Logger log_{"notification-test", LogLevel::Error};
  prometheus::Registry registry_;
  ApiMetrics metrics_{registry_};
  ApiLimitMetrics limit_metrics_{registry_};
  RedisEventFeed feed_{endpoint(), kEventChannel, [this](const std::string& m) {
                         for (auto& e : streamEventsFromBus(m)) hub_.publish(std::move(e));
                       }};
  TokenBook tokens_{cfg_.notification.tokens, ""};
  AgentBook agents_{cfg_};
  TextRateLimiter text_limits_{cfg_.notification.text_rate_per_minute,
                               cfg_.notification.text_burst};
  CallRecordStore records_{redis_, config::CallRecordSettings{}};
  WebhookBook webhooks_{redis_, config::WebhookSettings{}};
  ApiServer api_{{cfg_, tokens_, agents_, text_limits_, store_, contacts_, numbers_, redis_, redis_,
                  presence_, &gateway_, hub_, clock_, log_, metrics_, records_, webhooks_},
                 limit_metrics_};
};

TEST_F(NotificationApiIntegration, FirstClaimWinsSecondIsRefusedNamingTheHolder) {
  missed("c1");
  auto won = call("POST", "/v1/notifications/c1/claim", "bob-token-1", R"({"action":"call_back"})");
  ASSERT_TRUE(won);
  EXPECT_EQ(won->status, 200) << won->body;
  auto lost =
      call("POST", "/v1/notifications/c1/claim", "alice-token", R"({"action":"text_back"})");
  EXPECT_EQ(lost->status, 409);
  auto body = json::parse(lost->body);
  EXPECT_EQ(body["error"], "already_claimed");
  EXPECT_EQ(body["claimed_by"], "bob");
  EXPECT_NE(body["message"].get<std::string>().find("bob"), std::string::npos);
  EXPECT_EQ(
      json::parse(call("GET", "/v1/notifications", "alice-token")->body)["notifications"].size(),
      0u);
  EXPECT_EQ(
      json::parse(call("GET", "/v1/notifications", "bob-token-1")->body)["notifications"].size(),
      1u);
}

TEST_F(NotificationApiIntegration, HundredConcurrentHttpClaimsExactlyOneWins) {
  NotificationRecord r;
  r.id = "c-race";
  r.caller = "+15557770001";
  r.at_ms = clock_.nowMs();
  for (int i = 0; i < 100; ++i) r.visible_to.push_back("racer-" + std::to_string(i));
  ASSERT_TRUE(store_.record(r).value());
  std::atomic<int> ok{0}, conflict{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&, i] {
      // 100 simultaneous connects overflow the server's listen backlog; like any HTTP client we
      // retry a connection that never got an answer (bounded), then count what we got.
      auto claim = [&] {
        return call("POST", "/v1/notifications/c-race/claim", "racer-token-" + std::to_string(i),
                    R"({"action":"call_back"})");
      };
      auto res = claim();
      for (int attempt = 1; attempt < 20 && !res; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
        res = claim();
      }
      if (res && res->status == 200) {
        ++ok;
      } else if (res && res->status == 409) {
        ++conflict;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), 99);
  EXPECT_EQ(other.load(), 0);
}

TEST_F(NotificationApiIntegration, AnAgentCanNeverReadAnotherAgentsAnsweredCallRecord) {
  NotificationRecord r;
  r.id = "c-ans";
  r.at_ms = clock_.nowMs();
  r.kind = NotificationKind::AnsweredCall;
  r.caller = "+15557770001";
  r.visible_to = {"bob"};
  r.claimed = true;
  r.claimed_by = "bob";
  r.claim_action = "answered";
  ASSERT_TRUE(store_.record(r).value());
  EXPECT_EQ(call("GET", "/v1/notifications/c-ans", "bob-token-1")->status, 200);
  auto other = call("GET", "/v1/notifications/c-ans", "alice-token");
  EXPECT_EQ(other->status, 404);
  EXPECT_EQ(json::parse(other->body)["error"], "not_found");
  EXPECT_EQ(json::parse(call("GET", "/v1/records", "alice-token")->body)["records"].size(), 0u);
  EXPECT_EQ(json::parse(call("GET", "/v1/records", "bob-token-1")->body)["records"].size(), 1u);
  auto steal =
      call("POST", "/v1/notifications/c-ans/claim", "alice-token", R"({"action":"call_back"})");
  EXPECT_EQ(steal->status, 404);
  EXPECT_EQ(direct_.command({"HGET", NotificationStore::recordKey("c-ans"), "claimed_by"})->text,
            "bob");
}

TEST_F(NotificationApiIntegration, BadJsonUnknownFieldsWrongRoleAndNoTokenAreClear4xx) {
  missed("c2");
  auto bad = call("POST", "/v1/notifications/c2/claim", "bob-token-1", "{\"action\":");
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(json::parse(bad->body)["message"].get<std::string>().find("not valid JSON"),
            std::string::npos);
  auto unknown = call("POST", "/v1/notifications/c2/claim", "bob-token-1",
                      R"({"action":"call_back","force":true})");
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(json::parse(unknown->body)["field"], "force");
  auto action = call("POST", "/v1/notifications/c2/claim", "bob-token-1", R"({"action":"steal"})");
  EXPECT_EQ(action->status, 400);
  EXPECT_EQ(state("c2"), "unclaimed");  // nothing changed

  auto none = call("GET", "/v1/notifications", "");
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(call("GET", "/v1/notifications", "forged-token")->status, 401);

  // seed 004: only admins edit company-number settings.
  auto forbidden = call("PUT", "/v1/numbers/%2B15550200", "alice-token", R"({"tag":"mine"})");
  EXPECT_EQ(forbidden->status, 403);
  EXPECT_NE(json::parse(forbidden->body)["message"].get<std::string>().find("admin"),
            std::string::npos);
  EXPECT_EQ(direct_.command({"EXISTS", NumberSettingsBook::key("+15550200")})->integer, 0);
  EXPECT_EQ(call("POST", "/v1/contacts", "alice-token", R"({"name":"X"})")->status, 403);
  EXPECT_EQ(call("GET", "/v1/calls", "alice-token")->status, 403);
  EXPECT_EQ(contacts_.list(10).value().size(), 0u);
  auto presence =
      call("PUT", "/v1/agents/bob/presence", "alice-token", R"({"availability":"away"})");
  EXPECT_EQ(presence->status, 403);
  auto unknown_contact_field =
      call("POST", "/v1/contacts", "admin-token", R"({"name":"X","colour":"red"})");
  EXPECT_EQ(unknown_contact_field->status, 400);
  EXPECT_EQ(contacts_.list(10).value().size(), 0u);
  EXPECT_EQ(call("GET", "/v1/nowhere", "alice-token")->status, 404);
}

TEST_F(NotificationApiIntegration, AdminChangesCompanyNumberSettingsAndSeesCapUse) {
  ASSERT_TRUE(
      direct_.command({"ZADD", "cm:{+15550200}:slots", "99999999999999", "live-call"}).ok());
  ASSERT_TRUE(direct_.command({"ZADD", "cm:{+15550200}:slots", "1", "expired-call"}).ok());
  auto put = call("PUT", "/v1/numbers/%2B15550200", "admin-token",
                  R"({"source":"Billboard","selected_agents":["alice"]})");
  ASSERT_EQ(put->status, 200) << put->body;
  auto n = json::parse(put->body);
  EXPECT_EQ(n["source"], "Billboard");
  EXPECT_EQ(n["tag"], "website");
  EXPECT_EQ(n["cap"], 50);
  EXPECT_EQ(n["in_use"], 1);
  EXPECT_EQ(numbers_.effective("+15550200").value().selected_agents,
            (std::vector<std::string>{"alice"}));
  auto six = call("PUT", "/v1/numbers/%2B15550200", "admin-token",
                  R"({"selected_agents":["a","b","c","d","e","f"]})");
  EXPECT_EQ(six->status, 400);
}

TEST_F(NotificationApiIntegration, ContactFromNotificationAndAssociateFollowSourceAndTag) {
  missed("c3");
  // issue 17: an agent names only itself as primary agent; admins any known agent. Refused
  // before the claim, so nothing changed.
  auto other = call("POST", "/v1/notifications/c3/contact", "carol-token",
                    R"({"name":"Pat","primary_agent":"bob"})");
  EXPECT_EQ(other->status, 403) << other->body;
  EXPECT_EQ(json::parse(other->body)["field"], "primary_agent");
  EXPECT_EQ(state("c3"), "unclaimed");
  auto made = call("POST", "/v1/notifications/c3/contact", "carol-token", R"({"name":"Pat"})");
  ASSERT_EQ(made->status, 201) << made->body;
  auto c = json::parse(made->body)["contact"];
  EXPECT_EQ(c["source"], "Company line");
  EXPECT_EQ(c["tags"], json::array({"website"}));
  EXPECT_EQ(c["primary_agent"], "carol");
  EXPECT_EQ(state("c3"), "claimed");

  auto existing = call(
      "POST", "/v1/contacts", "admin-token",
      R"({"name":"Kim","numbers":["+15550000001"],"source":"Zillow","primary_agent":"alice"})");
  ASSERT_EQ(existing->status, 201) << existing->body;
  std::string id = json::parse(existing->body)["id"];
  missed("c4");
  auto missing =
      call("POST", "/v1/notifications/c4/associate", "alice-token", R"({"contact_id":"nope"})");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(state("c4"), "unclaimed");  // nothing changed
  // bob may not see alice's contact: the same 404 as a missing id, nothing changed.
  auto hidden = call("POST", "/v1/notifications/c4/associate", "bob-token-1",
                     R"({"contact_id":")" + id + "\"}");
  EXPECT_EQ(hidden->status, 404);
  auto as_missing = json::parse(missing->body);
  auto as_hidden = json::parse(hidden->body);
  EXPECT_EQ(as_hidden["error"], as_missing["error"]);
  EXPECT_EQ(as_hidden.size(), as_missing.size());
  EXPECT_EQ(state("c4"), "unclaimed");
  EXPECT_EQ(direct_.command({"HGET", ContactBook::contactKey(id), "tags"})->text, "");
  auto unknown = call("POST", "/v1/contacts", "admin-token",
                      R"({"name":"Lee","primary_agent":"nobody-by-that-name"})");
  EXPECT_EQ(unknown->status, 400) << unknown->body;
  auto assoc = call("POST", "/v1/notifications/c4/associate", "alice-token",
                    R"({"contact_id":")" + id + "\"}");
  ASSERT_EQ(assoc->status, 200) << assoc->body;
  auto after = json::parse(assoc->body)["contact"];
  EXPECT_EQ(after["source"], "Zillow");
  EXPECT_EQ(after["tags"], json::array({"Company line", "website"}));
  auto by_number = call("GET", "/v1/contacts?number=%2B15557770001", "admin-token");
  EXPECT_EQ(json::parse(by_number->body)["contacts"].size(), 2u);
}

TEST_F(NotificationApiIntegration, AutoTextWithoutPersonalNumberLeavesFromTheCompanyNumber) {
  auto res = call("POST", "/v1/texts", "carol-token",
                  R"({"to":"+15557770001","text":"Thanks for calling","mode":"auto"})");
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body)["from"], "+15550200");
  auto manual = call("POST", "/v1/texts", "alice-token",
                     R"({"to":"+15557770001","text":"hi","mode":"manual","from":"personal"})");
  ASSERT_EQ(manual->status, 200) << manual->body;
  auto no_personal = call("POST", "/v1/texts", "carol-token",
                          R"({"to":"+15557770001","text":"hi","mode":"manual","from":"personal"})");
  EXPECT_EQ(no_personal->status, 400);
  auto as_other = call("POST", "/v1/texts", "alice-token",
                       R"({"to":"+15557770001","text":"hi","mode":"auto","agent_id":"carol"})");
  EXPECT_EQ(as_other->status, 403);
  std::lock_guard<std::mutex> lock(gateway_.mutex);
  ASSERT_EQ(gateway_.sent.size(), 2u);
  EXPECT_EQ(gateway_.sent[0][0], "+15550200");
  EXPECT_EQ(gateway_.sent[1][0], "+15550301");
}

TEST_F(NotificationApiIntegration, OtherAgentsStreamReceivesTheWithdrawalAtOnce) {
  missed("c5");
  std::atomic<bool> withdrawn{false};
  std::string seen;
  std::mutex seen_mutex;
  std::thread reader([&] {
    httplib::Client c("127.0.0.1", api_.port());
    c.set_read_timeout(10, 0);
    c.Get("/v1/stream", {{"Authorization", "Bearer alice-token"}},
          [&](const char* data, size_t len) {
            std::lock_guard<std::mutex> lock(seen_mutex);
            seen.append(data, len);
            if (seen.find("event: notification.withdrawn") != std::string::npos) {
              withdrawn = true;
              return false;
            }
            return true;
          });
  });
  // Wait for the stream to open before claiming.
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard<std::mutex> lock(seen_mutex);
      if (!seen.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto won = call("POST", "/v1/notifications/c5/claim", "bob-token-1", R"({"action":"call_back"})");
  ASSERT_EQ(won->status, 200);
  reader.join();
  EXPECT_TRUE(withdrawn.load());
  std::lock_guard<std::mutex> lock(seen_mutex);
  EXPECT_NE(seen.find("\"id\":\"c5\""), std::string::npos) << seen;
  EXPECT_NE(seen.find("\"claimed_by\":\"bob\""), std::string::npos) << seen;
}

}  // namespace
}  // namespace callmesh::notification
