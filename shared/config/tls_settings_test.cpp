// cluster.yaml ingress tls_*, connection bounds and trunks (issue 21 items 1 and 4).
#include "shared/config/tls_settings.h"

#include <gtest/gtest.h>

#include "shared/config/cluster_config.h"

namespace callmesh::config {
namespace {

Result<ClusterConfig> parse(const std::string& ingress) {
  return parseClusterConfig("router:\n  routing_file: r.yaml\ningress:\n" + ingress,
                            "/etc/callmesh/c.yaml");
}

TEST(TlsSettings, DefaultsHaveNoListener) {
  auto cfg = parse("  sip_port: 5060\n");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  EXPECT_EQ(cfg->ingress.tls.port, 0);
  EXPECT_EQ(cfg->ingress.tls.client_cert, "none");
  EXPECT_TRUE(cfg->ingress.tls.verify_server);
  EXPECT_EQ(cfg->ingress.connections.max_connections, 4096);
  EXPECT_EQ(cfg->ingress.connections.max_connections_per_source, 64);
  EXPECT_EQ(cfg->ingress.connections.first_message_timeout_ms, 5000);
  EXPECT_EQ(cfg->ingress.connections.idle_timeout_s, 600);
  EXPECT_TRUE(cfg->ingress.trunks.empty());
}

TEST(TlsSettings, FilesResolveBesideTheConfig) {
  auto cfg = parse(
      "  tls_port: 5061\n  tls_cert_file: tls/tls.crt\n  tls_key_file: /secrets/tls.key\n"
      "  tls_ca_file: tls/ca.crt\n  tls_client_cert: optional\n  max_connections: 100\n"
      "  max_connections_per_source: 5\n  first_message_timeout_ms: 2000\n"
      "  connection_idle_s: 60\n");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  const auto& t = cfg->ingress.tls;
  EXPECT_EQ(t.port, 5061);
  EXPECT_EQ(t.cert_file, "/etc/callmesh/tls/tls.crt");
  EXPECT_EQ(t.key_file, "/secrets/tls.key");
  EXPECT_EQ(t.ca_file, "/etc/callmesh/tls/ca.crt");
  EXPECT_EQ(t.client_cert, "optional");
  EXPECT_EQ(cfg->ingress.connections.max_connections, 100);
  EXPECT_EQ(cfg->ingress.connections.max_connections_per_source, 5);
  EXPECT_EQ(cfg->ingress.connections.first_message_timeout_ms, 2000);
  EXPECT_EQ(cfg->ingress.connections.idle_timeout_s, 60);
}

TEST(TlsSettings, ListenerWithoutItsFilesIsRefused) {
  auto cfg = parse("  tls_port: 5061\n  tls_client_cert: sometimes\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message,
            "/etc/callmesh/c.yaml:5: ingress.tls_client_cert: must be none, optional or required\n"
            "/etc/callmesh/c.yaml:4: ingress.tls_cert_file: is required when tls_port is set\n"
            "/etc/callmesh/c.yaml:4: ingress.tls_key_file: is required when tls_port is set\n"
            "/etc/callmesh/c.yaml:4: ingress.tls_ca_file: is required to verify peers "
            "(tls_verify_server or tls_client_cert)");
}

TEST(TrunkSettings, TrunksTakeTheIngressRatesUnlessSet) {
  auto cfg = parse(
      "  new_call_rps: 40\n"
      "  trunks:\n"
      "    - {name: carrier-a, sources: [\"192.0.2.0/24\"], identity_trusted: true,\n"
      "       new_call_rps: 300}\n"
      "    - {name: pbx-b, tls_subjects: [pbx-b.example.net]}\n");
  ASSERT_TRUE(cfg.ok()) << cfg.error().describe();
  const auto& t = cfg->ingress.trunks;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].name, "carrier-a");
  EXPECT_EQ(t[0].sources, std::vector<std::string>{"192.0.2.0/24"});
  EXPECT_TRUE(t[0].identity_trusted);
  EXPECT_EQ(t[0].new_call_rps, 300);
  EXPECT_EQ(t[1].tls_subjects, std::vector<std::string>{"pbx-b.example.net"});
  EXPECT_FALSE(t[1].identity_trusted);
  EXPECT_EQ(t[1].new_call_rps, 40);  // the ingress-wide rate
  EXPECT_EQ(t[1].rate_limit_rps, 5000);
}

TEST(TrunkSettings, MistakesNamed) {
  auto cfg = parse(
      "  trunks:\n"
      "    - {name: a, sources: [\"10.0.0.l/8\"]}\n"
      "    - {name: a, sources: [\"10.0.0.0/8\"]}\n"
      "    - {name: c}\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message,
            "/etc/callmesh/c.yaml:5: ingress.trunks[0].sources: '10.0.0.l/8' is not a CIDR like "
            "10.0.0.0/8\n"
            "/etc/callmesh/c.yaml:6: ingress.trunks[1].name: trunk 'a' is named twice\n"
            "/etc/callmesh/c.yaml:7: ingress.trunks[2].sources: a trunk needs sources or "
            "tls_subjects to be told apart");
}

}  // namespace
}  // namespace callmesh::config
