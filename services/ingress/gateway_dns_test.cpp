// RFC 3263 resolution of a configured gateway name (issue 21 point 3), against DNS tables.
#include "services/ingress/gateway_dns.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace callmesh::ingress {
namespace {

// DNS as tables; a name in `failing` answers with an error (a timeout, SERVFAIL). Counts queries.
class TableDns final : public DnsLookup {
 public:
  std::map<std::string, std::vector<NaptrRecord>> naptrs;
  std::map<std::string, std::vector<SrvRecord>> srvs;
  std::map<std::string, std::vector<AddressRecord>> hosts;
  std::set<std::string> failing;
  std::vector<std::string> asked;

  DnsAnswer<NaptrRecord> naptr(const std::string& n) override { return find(naptrs, n, "NAPTR"); }
  DnsAnswer<SrvRecord> srv(const std::string& n) override { return find(srvs, n, "SRV"); }
  DnsAnswer<AddressRecord> addresses(const std::string& n) override { return find(hosts, n, "A"); }

 private:
  template <typename R>
  DnsAnswer<R> find(const std::map<std::string, std::vector<R>>& table, const std::string& n,
                    const char* type) {
    asked.push_back(std::string(type) + " " + n);
    if (failing.count(n)) return {{}, "timeout"};
    auto it = table.find(n);
    return {it == table.end() ? std::vector<R>{} : it->second, ""};
  }
};

TEST(GatewayDns, NaptrOrderThenPreferenceAndTransportFilter) {
  std::vector<NaptrRecord> n = {
      {20, 10, "s", "SIP+D2U", "_sip._udp.carrier.test", 60},
      {10, 20, "s", "SIP+D2T", "_sip._tcp.carrier.test.", 60},
      {10, 30, "s", "SIPS+D2T", "_sips._tcp.carrier.test", 60},  // TLS: for a sips: gateway
      {10, 10, "", "SIP+D2U", "ignored.carrier.test", 60},       // no "s" flag
      {5, 10, "s", "E2U+sip", "_x.carrier.test", 60},            // not a SIP transport
  };
  auto any = srvQueriesFor(n, GatewayName{"carrier.test", 0, "", 4});
  ASSERT_EQ(any.size(), 2u);
  EXPECT_EQ(any[0].name, "_sip._tcp.carrier.test");
  EXPECT_EQ(any[0].transport, "tcp");
  EXPECT_EQ(any[1].name, "_sip._udp.carrier.test");
  EXPECT_EQ(any[1].transport, "udp");
  auto udp = srvQueriesFor(n, GatewayName{"carrier.test", 0, "udp", 4});
  ASSERT_EQ(udp.size(), 1u);
  EXPECT_EQ(udp[0].name, "_sip._udp.carrier.test");
}

// RFC 3263 4.1: a sips: gateway takes SIPS+D2T alone; no NAPTR means _sips._tcp.
TEST(GatewayDns, TlsGatewayTakesSipsD2tOnly) {
  std::vector<NaptrRecord> n = {
      {10, 10, "s", "SIP+D2U", "_sip._udp.carrier.test", 60},
      {20, 10, "s", "SIPS+D2T", "_sips._tcp.carrier.test.", 60},
  };
  auto tls = srvQueriesFor(n, GatewayName{"carrier.test", 0, "tls", 4});
  ASSERT_EQ(tls.size(), 1u);
  EXPECT_EQ(tls[0].name, "_sips._tcp.carrier.test");
  EXPECT_EQ(tls[0].transport, "tls");
  auto none = srvQueriesFor({}, GatewayName{"carrier.test", 0, "tls", 4});
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].name, "_sips._tcp.carrier.test");
  EXPECT_EQ(none[0].transport, "tls");
  // Only SIP+D2U published: a sips: gateway is not moved off TLS (its own SRV name is asked).
  auto udp_only = srvQueriesFor({n[0]}, GatewayName{"carrier.test", 0, "tls", 4});
  ASSERT_EQ(udp_only.size(), 1u);
  EXPECT_EQ(udp_only[0].name, "_sips._tcp.carrier.test");
}

// RFC 5922 4: every target of a TLS name is checked against the configured name, not against the
// SRV target DNS gave (which anyone controlling the answer could choose).
TEST(GatewayDns, TlsTargetsCarryTheConfiguredNameNotTheSrvTarget) {
  TableDns dns;
  dns.naptrs["carrier.test"] = {{10, 10, "s", "SIPS+D2T", "_sips._tcp.carrier.test", 600}};
  dns.srvs["_sips._tcp.carrier.test"] = {{10, 10, 5071, "gw-a.carrier.test", 60},
                                         {20, 10, 5072, "gw-b.carrier.test", 60}};
  dns.hosts["gw-a.carrier.test"] = {{"127.0.0.2", 60}};
  dns.hosts["gw-b.carrier.test"] = {{"127.0.0.3", 60}};
  auto r = resolveGateway(dns, GatewayName{"carrier.test", 0, "tls", 4});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->targets.size(), 2u);
  EXPECT_EQ(r->targets[0], (ResolvedTarget{"127.0.0.2", 5071, "tls", 10, 10, "carrier.test"}));
  EXPECT_EQ(r->targets[1], (ResolvedTarget{"127.0.0.3", 5072, "tls", 20, 10, "carrier.test"}));

  // No NAPTR, no SRV: the name's addresses on 5061, the TLS default port.
  TableDns plain;
  plain.hosts["carrier.test"] = {{"127.0.0.9", 30}};
  auto a = resolveGateway(plain, GatewayName{"carrier.test", 0, "tls", 4});
  ASSERT_TRUE(a.ok()) << a.error().describe();
  EXPECT_EQ(a->targets[0], (ResolvedTarget{"127.0.0.9", 5061, "tls", 0, 1, "carrier.test"}));
  EXPECT_EQ(plain.asked,
            (std::vector<std::string>{"NAPTR carrier.test", "SRV _sips._tcp.carrier.test",
                                      "A carrier.test"}));
  // UDP and TCP targets carry no name.
  auto udp = resolveGateway(plain, GatewayName{"carrier.test", 5060, "udp", 4});
  ASSERT_TRUE(udp.ok());
  EXPECT_EQ(udp->targets[0].server_name, "");
}

TEST(GatewayDns, NoNaptrMeansSrvForEachTransportUdpFirst) {
  auto q = srvQueriesFor({}, GatewayName{"carrier.test", 0, "", 4});
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].name, "_sip._udp.carrier.test");
  EXPECT_EQ(q[1].name, "_sip._tcp.carrier.test");
  auto tcp = srvQueriesFor({}, GatewayName{"carrier.test", 0, "tcp", 4});
  ASSERT_EQ(tcp.size(), 1u);
  EXPECT_EQ(tcp[0].name, "_sip._tcp.carrier.test");
}

TEST(GatewayDns, SrvByPriorityThenHeavierWeightCappedAndDeduplicated) {
  std::vector<SrvWithAddresses> s = {
      {{20, 10, 5060, "c.test", 300}, {{"10.0.0.3", 30}}},
      {{10, 10, 5062, "b.test", 300}, {{"10.0.0.2", 300}, {"10.0.0.22", 300}}},
      {{10, 90, 5061, "a.test", 120}, {{"10.0.0.1", 300}}},
      {{10, 50, 5061, "a2.test", 120}, {{"10.0.0.1", 300}}},  // same address:port as a.test
      {{5, 0, 0, ".", 10}, {}},                               // "." = no service: dropped
  };
  Resolution r = targetsFromSrv(s, "udp", 3);
  ASSERT_EQ(r.targets.size(), 3u);
  EXPECT_EQ(r.targets[0], (ResolvedTarget{"10.0.0.1", 5061, "udp", 10, 90}));
  EXPECT_EQ(r.targets[1], (ResolvedTarget{"10.0.0.2", 5062, "udp", 10, 10}));
  EXPECT_EQ(r.targets[2], (ResolvedTarget{"10.0.0.22", 5062, "udp", 10, 10}));
  EXPECT_EQ(r.ttl, 120u);  // the smallest TTL among the records used (c.test's 30 not used)
}

TEST(GatewayDns, FullChainNaptrSrvAddresses) {
  TableDns dns;
  dns.naptrs["carrier.test"] = {{10, 10, "S", "SIP+D2U", "_sip._udp.carrier.test", 600}};
  dns.srvs["_sip._udp.carrier.test"] = {{10, 60, 5071, "gw1.carrier.test.", 300},
                                        {20, 10, 5072, "gw2.carrier.test", 300}};
  dns.hosts["gw1.carrier.test"] = {{"127.0.0.2", 45}};
  dns.hosts["gw2.carrier.test"] = {{"127.0.0.3", 300}, {"::1", 300}};
  auto r = resolveGateway(dns, GatewayName{"carrier.test", 0, "", 4});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->targets.size(), 3u);
  EXPECT_EQ(r->targets[0], (ResolvedTarget{"127.0.0.2", 5071, "udp", 10, 60}));
  EXPECT_EQ(r->targets[1], (ResolvedTarget{"127.0.0.3", 5072, "udp", 20, 10}));
  EXPECT_EQ(r->targets[2], (ResolvedTarget{"::1", 5072, "udp", 20, 10}));
  EXPECT_EQ(r->ttl, 45u);
  EXPECT_EQ(dns.asked, (std::vector<std::string>{"NAPTR carrier.test", "SRV _sip._udp.carrier.test",
                                                 "A gw1.carrier.test", "A gw2.carrier.test"}));
}

TEST(GatewayDns, NoNaptrNoSrvFallsBackToAddressesOnPort5060) {
  TableDns dns;
  dns.hosts["carrier.test"] = {{"127.0.0.9", 30}};
  auto r = resolveGateway(dns, GatewayName{"carrier.test", 0, "tcp", 4});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->targets.size(), 1u);
  EXPECT_EQ(r->targets[0], (ResolvedTarget{"127.0.0.9", 5060, "tcp", 0, 1}));
  EXPECT_EQ(dns.asked, (std::vector<std::string>{"NAPTR carrier.test", "SRV _sip._tcp.carrier.test",
                                                 "A carrier.test"}));
}

TEST(GatewayDns, ExplicitPortAsksOnlyAddresses) {
  TableDns dns;
  dns.hosts["carrier.test"] = {{"127.0.0.9", 30}};
  auto r = resolveGateway(dns, GatewayName{"carrier.test", 5080, "", 4});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->targets[0], (ResolvedTarget{"127.0.0.9", 5080, "udp", 0, 1}));
  EXPECT_EQ(dns.asked, (std::vector<std::string>{"A carrier.test"}));
}

TEST(GatewayDns, FailuresAndEmptyAnswersAreErrorsNamingTheQuery) {
  TableDns dns;
  dns.failing.insert("carrier.test");
  auto r = resolveGateway(dns, GatewayName{"carrier.test", 0, "", 4});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().describe(), "carrier.test: NAPTR query failed: timeout");

  TableDns empty;
  auto none = resolveGateway(empty, GatewayName{"carrier.test", 0, "", 4});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().describe(), "carrier.test: no A or AAAA record");

  // A failing SRV query is not "no SRV": no fallback to the name's own address.
  TableDns srv_fails;
  srv_fails.failing.insert("_sip._udp.carrier.test");
  srv_fails.hosts["carrier.test"] = {{"127.0.0.9", 30}};
  auto r2 = resolveGateway(srv_fails, GatewayName{"carrier.test", 0, "udp", 4});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().describe(),
            "carrier.test: SRV query _sip._udp.carrier.test failed: timeout");
}

TEST(GatewayDns, NextNaptrWhenTheFirstSrvHasNoTargets) {
  TableDns dns;
  dns.naptrs["carrier.test"] = {{10, 10, "s", "SIP+D2T", "_sip._tcp.carrier.test", 600},
                                {20, 10, "s", "SIP+D2U", "_sip._udp.carrier.test", 600}};
  dns.srvs["_sip._udp.carrier.test"] = {{0, 0, 5090, "gw.carrier.test", 60}};
  dns.hosts["gw.carrier.test"] = {{"127.0.0.4", 60}};
  auto r = resolveGateway(dns, GatewayName{"carrier.test", 0, "", 4});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(r->targets.size(), 1u);
  EXPECT_EQ(r->targets[0], (ResolvedTarget{"127.0.0.4", 5090, "udp", 0, 0}));
}

}  // namespace
}  // namespace callmesh::ingress
