// ClusterConfig: the notification service's section (API, numbers, tokens, agents).
#include <gtest/gtest.h>

#include "shared/config/cluster_config.h"
#include "shared/config/cluster_config_test_data.h"

namespace callmesh::config {
namespace {

using test_data::kGood;

TEST(ClusterConfig, NotificationDefaultsAndApiSettings) {
  auto cfg = parseClusterConfig(kGood, "c.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_EQ(cfg->notification.api, "127.0.0.1:8080");
  EXPECT_TRUE(cfg->notification.tokens.empty());
  EXPECT_TRUE(cfg->notification.tokens_file.empty());
  EXPECT_EQ(cfg->notification.retention.handled_ms, int64_t{30} * 86400000);
  EXPECT_EQ(cfg->notification.retention.unclaimed_ms, int64_t{90} * 86400000);
  // Slot leases share the records' Redis unless redis_leases says otherwise.
  EXPECT_EQ(cfg->redis_leases.host, cfg->redis.host);
  EXPECT_EQ(cfg->redis_leases.port, cfg->redis.port);
  EXPECT_TRUE(cfg->notification.text_gateway.empty());
  EXPECT_EQ(cfg->presence.reconcile_interval_ms, 30000);
}

// seed 004_ee4e98a6a7f6781b.txt: per company number Source & Tag and selected agents, roles.
TEST(ClusterConfig, NotificationNumbersTokensAndAgents) {
  auto cfg = parseClusterConfig(std::string(kGood) + R"(notification:
  api: 127.0.0.1:0
  text_gateway: 127.0.0.1:5099
  tokens:
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": {agent_id: alice}
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": {agent_id: root, role: admin}
  retention: {handled_days: 7, unclaimed_days: 60, trim_interval_seconds: 30, trim_batch: 50}
  text_rate_per_minute: 12
  numbers:
    "+15550200": {source: "Company line", tag: "website", selected_agents: [alice, bob]}
  agents:
    alice: {company_number: "+15550200", personal_number: "+15550301"}
agent_presence:
  reconcile_interval_ms: 5000
  agents:
    alice:
      utc_offset_minutes: -300
      working_hours: [{days: mon-fri, from: "08:00", to: "18:00"}, {days: sat}]
)",
                                "c.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  const auto& n = cfg->notification;
  EXPECT_EQ(n.api, "127.0.0.1:0");
  EXPECT_EQ(n.text_gateway, "127.0.0.1:5099");
  EXPECT_EQ(
      n.tokens.at("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").agent_id,
      "alice");
  EXPECT_EQ(n.tokens.at("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").role,
            ApiRole::Agent);
  EXPECT_EQ(n.tokens.at("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").role,
            ApiRole::Admin);
  EXPECT_EQ(n.retention.handled_ms, int64_t{7} * 86400000);
  EXPECT_EQ(n.retention.unclaimed_ms, int64_t{60} * 86400000);
  EXPECT_EQ(n.retention.trim_interval_ms, 30000);
  EXPECT_EQ(n.retention.trim_batch, 50);
  EXPECT_EQ(n.text_rate_per_minute, 12);
  EXPECT_EQ(n.text_burst, 10);
  EXPECT_EQ(n.numbers.at("+15550200").source, "Company line");
  EXPECT_EQ(n.numbers.at("+15550200").tag, "website");
  EXPECT_EQ(n.numbers.at("+15550200").selected_agents, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(n.agents.at("alice").personal_number, "+15550301");
  EXPECT_TRUE(n.agents.at("alice").sender_id.empty());
  const auto& p = cfg->presence;
  EXPECT_EQ(p.reconcile_interval_ms, 5000);
  ASSERT_EQ(p.agents.at("alice").working_hours.size(), 2u);
  EXPECT_EQ(p.agents.at("alice").utc_offset_minutes, -300);
  EXPECT_EQ(p.agents.at("alice").working_hours[0].days, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(p.agents.at("alice").working_hours[0].from_minute, 480);
  EXPECT_EQ(p.agents.at("alice").working_hours[1].days, (std::vector<int>{5}));
  EXPECT_EQ(p.agents.at("alice").working_hours[1].to_minute, 1440);
}

TEST(ClusterConfig, NotificationMistakesNameTheKey) {
  auto cfg = parseClusterConfig(std::string(kGood) + R"(notification:
  api: nowhere
  tokens:
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": {agent_id: alice, role: boss}
    "plain-secret-token-xyz": {agent_id: bob}
  retention: {handled_seconds: 5, unclaimed_days: 1, handled_days: 2}
  numbers:
    "5550200": {source: x, colour: red}
  agents:
    bob: {personal_number: "5550301"}
agent_presence:
  agents:
    alice: {working_hours: [{days: someday, from: "25:00"}]}
)",
                                "c.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_NE(m.find("notification.api: must be host:port"), std::string::npos) << m;
  EXPECT_NE(m.find("notification.tokens[0].role: must be agent or admin"), std::string::npos) << m;
  // A key that is not a hash may be a real token: refused, and never printed.
  EXPECT_NE(m.find("notification.tokens[1]: key is not a token hash"), std::string::npos) << m;
  EXPECT_EQ(m.find("plain-secret-token-xyz"), std::string::npos) << m;
  EXPECT_NE(m.find("notification.retention.handled_seconds: give handled_days or "
                   "handled_seconds, not both"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("notification.numbers.5550200: number must be E.164"), std::string::npos) << m;
  EXPECT_NE(m.find("notification.numbers.5550200.colour: unknown key"), std::string::npos) << m;
  EXPECT_NE(m.find("notification.agents.bob.personal_number: must be E.164"), std::string::npos)
      << m;
  EXPECT_NE(m.find("agent_presence.agents.alice.working_hours[0].days: must be a day"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("agent_presence.agents.alice.working_hours[0].from: must be HH:MM"),
            std::string::npos)
      << m;
}

}  // namespace
}  // namespace callmesh::config
