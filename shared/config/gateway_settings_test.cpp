// cluster.yaml ingress.gateway_sets / pstn_gateway / gateway_* (issue 21).
#include "shared/config/gateway_settings.h"

#include <gtest/gtest.h>

#include "shared/config/cluster_config.h"

namespace callmesh::config {
namespace {

Result<ClusterConfig> parse(const std::string& ingress) {
  return parseClusterConfig("router:\n  routing_file: r.yaml\ningress:\n" + ingress, "c.yaml");
}

TEST(GatewaySettings, SetsWithPriorityWeightAndDefaults) {
  auto cfg = parse(
      "  gateway_probe_interval_ms: 5000\n"
      "  gateway_sets:\n"
      "    carriers:\n"
      "      - {uri: \"sip:10.0.0.1:5080;transport=tcp\", priority: 0, weight: 3, name: a}\n"
      "      - {uri: \"10.0.0.2\", priority: 1}\n");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  const auto& g = cfg->ingress.gateways;
  EXPECT_EQ(g.probe_interval_ms, 5000);
  EXPECT_EQ(g.probe_timeout_ms, 2000);
  EXPECT_EQ(g.failures_before_down, 3);
  EXPECT_EQ(g.successes_before_up, 2);
  EXPECT_EQ(g.answer_timeout_ms, 3000);
  ASSERT_EQ(g.sets.at("carriers").size(), 2u);
  const auto& a = g.sets.at("carriers")[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.host, "10.0.0.1");
  EXPECT_EQ(a.port, 5080);
  EXPECT_EQ(a.transport, "tcp");
  EXPECT_EQ(a.weight, 3);
  const auto& b = g.sets.at("carriers")[1];
  EXPECT_EQ(b.name, "10.0.0.2:5060");  // default name: host:port
  EXPECT_EQ(b.port, 5060);
  EXPECT_EQ(b.priority, 1);
  EXPECT_EQ(b.weight, 1);
}

TEST(GatewaySettings, OldSingleGatewayIsTheSetPstn) {
  auto cfg = parse("  pstn_gateway: \"127.0.0.1:5099\"\n");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  ASSERT_EQ(cfg->ingress.gateways.sets.count("pstn"), 1u);
  EXPECT_EQ(cfg->ingress.gateways.sets.at("pstn")[0].port, 5099);
}

TEST(GatewaySettings, NoSetsByDefault) {
  auto cfg = parse("  sip_port: 5070\n");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_TRUE(cfg->ingress.gateways.sets.empty());
}

TEST(GatewaySettings, RefusesWhatCannotBeATargetOrALabel) {
  auto bad = parse(
      "  gateway_probe_interval_ms: 1000\n"
      "  gateway_probe_timeout_ms: 5000\n"
      "  gateway_sets:\n"
      "    Bad.Name: [{uri: \"10.0.0.1\"}]\n"
      "    empty: []\n"
      "    users:\n"
      "      - {uri: \"sip:bob@10.0.0.1\"}\n"
      "      - {uri: \"10.0.0.1:99999\"}\n"
      "      - {uri: \"sip:10.0.0.1;maddr=1.2.3.4\"}\n"
      "      - {uri: \"10.0.0.3\", colour: red}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "c.yaml:5: ingress.gateway_probe_timeout_ms: must not exceed "
            "gateway_probe_interval_ms\n"
            "c.yaml:7: ingress.gateway_sets.Bad.Name: set names are 1-32 of a-z 0-9 - (used as "
            "the host of ring targets)\n"
            "c.yaml:8: ingress.gateway_sets.empty: must list 1 to 16 gateways\n"
            "c.yaml:10: ingress.gateway_sets.users[0].uri: 'sip:bob@10.0.0.1' names a gateway, "
            "without a user part\n"
            "c.yaml:11: ingress.gateway_sets.users[1].uri: '10.0.0.1:99999' has a bad port\n"
            "c.yaml:12: ingress.gateway_sets.users[2].uri: 'sip:10.0.0.1;maddr=1.2.3.4' only "
            ";transport=udp or ;transport=tcp may follow the address\n"
            "c.yaml:13: ingress.gateway_sets.users[3].colour: unknown key");
}

TEST(GatewaySettings, SetNames) {
  EXPECT_TRUE(validGatewaySetName("pstn"));
  EXPECT_TRUE(validGatewaySetName("carrier-b2"));
  EXPECT_FALSE(validGatewaySetName("123"));
  EXPECT_FALSE(validGatewaySetName("gw.example"));
  EXPECT_FALSE(validGatewaySetName(""));
  EXPECT_FALSE(validGatewaySetName(std::string(33, 'a')));
}

}  // namespace
}  // namespace callmesh::config
