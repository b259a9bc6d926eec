// Gateways given by DNS name (issue 21 point 3): members of their set filled from resolutions,
// the resolver's rounds, and that only configured names are ever asked.
#include <gtest/gtest.h>

#include <map>

#include "services/ingress/gateway_resolver.h"
#include "services/ingress/gateway_sets.h"
#include "services/ingress/name_resolution_guard.h"

namespace callmesh::ingress {
namespace {

config::GatewaySetSettings settings() {
  config::GatewaySetSettings s;
  config::GatewayEntry fixed;
  fixed.name = "fixed";
  fixed.host = "10.0.0.9";
  fixed.port = 5060;
  fixed.priority = 1;
  config::GatewayEntry named;
  named.name = "carrier";
  named.host = "carrier.test";
  s.sets["carriers"] = {named, fixed};
  s.dns_max_targets = 2;
  return s;
}

uint64_t first(uint64_t) { return 0; }

TEST(GatewaySetsDns, NameMembersWaitInactiveThenFollowTheAnswer) {
  GatewaySets sets(settings());
  ASSERT_EQ(sets.gateways().size(), 3u);
  ASSERT_EQ(sets.dnsNames().size(), 1u);
  EXPECT_EQ(sets.dnsNames()[0].query.host, "carrier.test");
  EXPECT_EQ(sets.dnsNames()[0].query.port, 0);  // no port: NAPTR/SRV
  EXPECT_EQ(sets.gateways()[0].name, "carrier/0");
  EXPECT_EQ(sets.gateways()[1].name, "carrier/1");
  // Before any answer only the fixed gateway is a candidate.
  EXPECT_EQ(sets.candidates("carriers", first), (std::vector<size_t>{2}));
  EXPECT_EQ(sets.upCount("carriers"), 1u);

  auto changed = sets.applyResolution(
      0, {{"127.0.0.2", 5071, "udp", 10, 60}, {"127.0.0.3", 5072, "udp", 20, 10}});
  EXPECT_EQ(changed, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(sets.gateways()[0].host_port, "127.0.0.2:5071");
  EXPECT_EQ(sets.gateways()[0].probe_uri, "sip:127.0.0.2:5071;transport=udp");
  EXPECT_EQ(sets.gateways()[0].priority, 10);     // configured tier 0, SRV priority 10
  EXPECT_EQ(sets.gateways()[2].priority, 65536);  // the fixed gateway's tier 1
  // SRV priority 10 first, then 20, then the configured priority-1 gateway.
  EXPECT_EQ(sets.candidates("carriers", first), (std::vector<size_t>{0, 1, 2}));

  // The preferred address marked down: it keeps its health while the answer keeps it.
  for (int i = 0; i < 3; ++i) {
    sets.gateways()[0].health.probeSent(0);
    sets.gateways()[0].health.probeFinished(false);
  }
  EXPECT_EQ(sets.candidates("carriers", first), (std::vector<size_t>{1, 2}));
  // The answer changes order and drops 127.0.0.3 for 127.0.0.4: 127.0.0.2 stays on its member
  // (still down), the freed member takes the new address, fresh and up.
  changed = sets.applyResolution(
      0, {{"127.0.0.4", 5073, "udp", 5, 50}, {"127.0.0.2", 5071, "udp", 10, 60}});
  EXPECT_EQ(changed, (std::vector<size_t>{1}));
  EXPECT_EQ(sets.gateways()[1].host_port, "127.0.0.4:5073");
  EXPECT_EQ(sets.gateways()[1].priority, 5);
  EXPECT_EQ(sets.candidates("carriers", first), (std::vector<size_t>{1, 2}));

  // An empty answer (dropped after the stale bound) empties the members.
  changed = sets.applyResolution(0, {});
  EXPECT_EQ(changed, (std::vector<size_t>{0, 1}));
  EXPECT_FALSE(sets.gateways()[0].active);
  EXPECT_EQ(sets.candidates("carriers", first), (std::vector<size_t>{2}));
}

TEST(GatewaySetsDns, Ipv6TargetIsBracketed) {
  GatewaySets sets(settings());
  sets.applyResolution(0, {{"::1", 5080, "tcp", 0, 1}});
  EXPECT_EQ(sets.gateways()[0].host_port, "[::1]:5080");
  EXPECT_EQ(sets.gateways()[0].probe_uri, "sip:[::1]:5080;transport=tcp");
}

// A sips: gateway by name: its members are sent to their address, through a route URL naming the
// configured host, which sofia's TLS check matches against the certificate (RFC 5922).
TEST(GatewaySetsDns, TlsMembersRouteByTheConfiguredNameToTheResolvedAddress) {
  config::GatewaySetSettings s;
  config::GatewayEntry named;
  named.name = "secure";
  named.host = "carrier.test";
  named.transport = "tls";
  s.sets["carriers"] = {named};
  s.dns_max_targets = 2;
  GatewaySets sets(s);
  ASSERT_EQ(sets.dnsNames().size(), 1u);
  EXPECT_EQ(sets.dnsNames()[0].query.transport, "tls");
  sets.applyResolution(0, {{"127.0.0.5", 5061, "tls", 10, 1, "carrier.test"},
                           {"::1", 5062, "tls", 20, 1, "carrier.test"}});
  const Gateway& v4 = sets.gateways()[0];
  EXPECT_EQ(v4.host_port, "127.0.0.5:5061");
  EXPECT_EQ(v4.probe_uri, "sip:127.0.0.5:5061;transport=tls");  // the request URI: the address
  EXPECT_EQ(v4.server_name, "carrier.test");
  EXPECT_EQ(v4.route_uri, "sip:carrier.test:5061;transport=tls;maddr=127.0.0.5");
  EXPECT_EQ(sets.gateways()[1].route_uri, "sip:carrier.test:5062;transport=tls;maddr=[::1]");
  // Without a name to check, the route is the address itself (numeric or UDP/TCP gateways).
  EXPECT_EQ(gatewayRouteUri("10.0.0.1:5080", "tcp", ""), "sip:10.0.0.1:5080;transport=tcp");
  EXPECT_EQ(gatewayRouteUri("10.0.0.1:5061", "tls", ""), "sip:10.0.0.1:5061;transport=tls");
}

// Counts the names it is asked about; answers carrier.test with one address.
class RecordingDns final : public DnsLookup {
 public:
  std::vector<std::string> asked;
  bool fail = false;
  DnsAnswer<NaptrRecord> naptr(const std::string& n) override {
    asked.push_back(n);
    if (fail) return {{}, "timeout"};
    return {{{10, 10, "s", "SIP+D2U", "_sip._udp." + n, 30}}, ""};
  }
  DnsAnswer<SrvRecord> srv(const std::string& n) override {
    asked.push_back(n);
    return {{{10, 60, 5071, "gw1.test", 30}}, ""};
  }
  DnsAnswer<AddressRecord> addresses(const std::string& n) override {
    asked.push_back(n);
    return {{{"127.0.0.2", 20}}, ""};
  }
};

class FixedClock final : public Clock {
 public:
  int64_t nowMs() const override { return 0; }
  int64_t steadyMs() const override { return 0; }
};

TEST(GatewaySetsDns, ResolverRoundsFollowTtlAndReportFailures) {
  FixedClock clock;
  GatewaySets sets(settings());
  std::vector<GatewayName> names;
  for (const auto& n : sets.dnsNames()) names.push_back(n.query);
  GatewayResolver resolver(names, DnsCachePolicy{}, nullptr, clock);
  RecordingDns dns;
  EXPECT_EQ(resolver.resolveDue(dns, 0), 20000);  // due again at the smallest TTL (20 s)
  auto updates = resolver.takeUpdates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].resolved, 1u);
  EXPECT_EQ(updates[0].targets, (std::vector<ResolvedTarget>{{"127.0.0.2", 5071, "udp", 10, 60}}));
  EXPECT_TRUE(resolver.takeUpdates().empty());        // nothing new since
  EXPECT_EQ(resolver.resolveDue(dns, 19999), 20000);  // not due: nothing asked
  EXPECT_EQ(dns.asked.size(), 3u);

  dns.fail = true;
  resolver.resolveDue(dns, 20000);  // fails at expiry: the last answer kept, stale
  resolver.resolveDue(dns, 25000);  // retried after retry_ms
  updates = resolver.takeUpdates();
  ASSERT_EQ(updates.size(), 1u);  // one update per name, counts summed
  EXPECT_EQ(updates[0].failed, 2u);
  EXPECT_TRUE(updates[0].stale);
  EXPECT_EQ(updates[0].targets.size(), 1u);
  EXPECT_EQ(updates[0].last_error, "carrier.test: NAPTR query failed: timeout");
}

// The guarantee of name_resolution_guard.h kept for DNS: the resolver asks about configured
// names and the names their records point to, and no other; the sets' members are numeric
// (so sofia never resolves a gateway), and resolving does not open getaddrinfo to the name.
TEST(GatewaySetsDns, OnlyConfiguredNamesAreResolvedAndMembersAreNumeric) {
  FixedClock clock;
  GatewaySets sets(settings());
  std::vector<GatewayName> names;
  for (const auto& n : sets.dnsNames()) names.push_back(n.query);
  GatewayResolver resolver(names, DnsCachePolicy{}, nullptr, clock);
  RecordingDns dns;
  resolver.resolveDue(dns, 0);
  EXPECT_EQ(dns.asked,
            (std::vector<std::string>{"carrier.test", "_sip._udp.carrier.test", "gw1.test"}));
  for (const auto& u : resolver.takeUpdates()) sets.applyResolution(u.name, u.targets);
  for (const auto& g : sets.gateways()) {
    if (!g.active) continue;
    std::string host = hostOf(g.host_port);
    EXPECT_TRUE(isNumericHostForGuard(host.c_str())) << g.host_port;
  }
  EXPECT_FALSE(isAllowedHostForGuard("carrier.test"));
  EXPECT_FALSE(isAllowedHostForGuard("gw1.test"));
}

}  // namespace
}  // namespace callmesh::ingress
