// The DNS wire parsing of the gateway resolver (issue 21 point 3): exact records from well-formed
// answers, clear errors from hostile ones (the DNS server's answer is input like any other).
#include "services/ingress/dns_lookup.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace callmesh::ingress {
namespace {

using Bytes = std::vector<unsigned char>;

void put16(Bytes& b, int v) {
  b.push_back(static_cast<unsigned char>(v >> 8));
  b.push_back(static_cast<unsigned char>(v));
}

Bytes name(const std::string& dotted) {
  Bytes b;
  size_t pos = 0;
  while (pos < dotted.size()) {
    size_t dot = dotted.find('.', pos);
    if (dot == std::string::npos) dot = dotted.size();
    b.push_back(static_cast<unsigned char>(dot - pos));
    b.insert(b.end(), dotted.begin() + static_cast<long>(pos),
             dotted.begin() + static_cast<long>(dot));
    pos = dot + 1;
  }
  b.push_back(0);
  return b;
}

Bytes text(const std::string& s) {
  Bytes b{static_cast<unsigned char>(s.size())};
  b.insert(b.end(), s.begin(), s.end());
  return b;
}

// A response to `qname`/`type` with one answer record per rdata, each with `ttl`.
Bytes response(const std::string& qname, int type, const std::vector<Bytes>& rdatas, uint32_t ttl) {
  Bytes b;
  put16(b, 0x1234);  // id
  put16(b, 0x8180);  // response, recursion desired and available, NOERROR
  put16(b, 1);
  put16(b, static_cast<int>(rdatas.size()));
  put16(b, 0);
  put16(b, 0);
  Bytes q = name(qname);
  b.insert(b.end(), q.begin(), q.end());
  put16(b, type);
  put16(b, 1);
  for (const Bytes& rd : rdatas) {
    put16(b, 0xC00C);  // the question's name
    put16(b, type);
    put16(b, 1);
    put16(b, static_cast<int>(ttl >> 16));
    put16(b, static_cast<int>(ttl & 0xFFFF));
    put16(b, static_cast<int>(rd.size()));
    b.insert(b.end(), rd.begin(), rd.end());
  }
  return b;
}

Bytes naptrData(int order, int pref, const std::string& flags, const std::string& service,
                const std::string& replacement) {
  Bytes b;
  put16(b, order);
  put16(b, pref);
  for (const Bytes& part : {text(flags), text(service), text(""), name(replacement)})
    b.insert(b.end(), part.begin(), part.end());
  return b;
}

Bytes srvData(int priority, int weight, int port, const Bytes& target) {
  Bytes b;
  put16(b, priority);
  put16(b, weight);
  put16(b, port);
  b.insert(b.end(), target.begin(), target.end());
  return b;
}

TEST(DnsWire, NaptrSrvAndAddressesWithTheirTtls) {
  Bytes n = response("carrier.test", 35,
                     {naptrData(10, 20, "S", "SIP+D2T", "_sip._tcp.carrier.test"),
                      naptrData(20, 10, "s", "SIP+D2U", "_sip._udp.carrier.test")},
                     300);
  auto naptr = parseNaptrAnswer(n.data(), n.size());
  ASSERT_EQ(naptr.error, "");
  ASSERT_EQ(naptr.records.size(), 2u);
  EXPECT_EQ(naptr.records[0].order, 10);
  EXPECT_EQ(naptr.records[0].preference, 20);
  EXPECT_EQ(naptr.records[0].flags, "S");
  EXPECT_EQ(naptr.records[0].service, "SIP+D2T");
  EXPECT_EQ(naptr.records[0].replacement, "_sip._tcp.carrier.test");
  EXPECT_EQ(naptr.records[0].ttl, 300u);
  EXPECT_EQ(naptr.records[1].replacement, "_sip._udp.carrier.test");

  Bytes s =
      response("_sip._udp.carrier.test", 33,
               {srvData(10, 60, 5071, name("gw1.carrier.test")), srvData(0, 0, 0, name(""))}, 120);
  auto srv = parseSrvAnswer(s.data(), s.size());
  ASSERT_EQ(srv.error, "");
  ASSERT_EQ(srv.records.size(), 2u);
  EXPECT_EQ(srv.records[0].priority, 10);
  EXPECT_EQ(srv.records[0].weight, 60);
  EXPECT_EQ(srv.records[0].port, 5071);
  EXPECT_EQ(srv.records[0].target, "gw1.carrier.test");
  EXPECT_EQ(srv.records[0].ttl, 120u);
  EXPECT_EQ(srv.records[1].target, ".");  // the root: no service (RFC 2782)

  Bytes a = response("gw1.carrier.test", 1, {{127, 0, 0, 2}}, 45);
  auto v4 = parseAddressAnswer(a.data(), a.size(), false);
  ASSERT_EQ(v4.error, "");
  ASSERT_EQ(v4.records.size(), 1u);
  EXPECT_EQ(v4.records[0].address, "127.0.0.2");
  EXPECT_EQ(v4.records[0].ttl, 45u);
  Bytes six(16, 0);
  six[15] = 1;
  Bytes aaaa = response("gw1.carrier.test", 28, {six}, 45);
  auto v6 = parseAddressAnswer(aaaa.data(), aaaa.size(), true);
  ASSERT_EQ(v6.records.size(), 1u);
  EXPECT_EQ(v6.records[0].address, "::1");
}

TEST(DnsWire, HostileAnswersAreErrorsNotRecords) {
  // A NAPTR whose flags string claims 200 bytes in a record of a dozen.
  Bytes bad_text;
  put16(bad_text, 10);
  put16(bad_text, 10);
  bad_text.push_back(200);
  bad_text.push_back('s');
  Bytes n = response("carrier.test", 35, {bad_text}, 60);
  EXPECT_EQ(parseNaptrAnswer(n.data(), n.size()).error, "malformed NAPTR record");

  // An SRV record shorter than its three numbers and a name.
  Bytes s = response("_sip._udp.carrier.test", 33, {{0, 1, 0, 2, 0}}, 60);
  EXPECT_EQ(parseSrvAnswer(s.data(), s.size()).error, "short SRV record");

  // An SRV target that is a compression pointer to itself: a loop, refused.
  Bytes looping = response("_sip._udp.carrier.test", 33, {srvData(1, 1, 5060, {0, 0})}, 60);
  size_t target_at = looping.size() - 2;
  looping[target_at] = static_cast<unsigned char>(0xC0 | (target_at >> 8));
  looping[target_at + 1] = static_cast<unsigned char>(target_at & 0xFF);
  EXPECT_EQ(parseSrvAnswer(looping.data(), looping.size()).error, "malformed SRV record");

  // An A record of 3 bytes; an answer cut short; an answer larger than the resolver's buffer.
  Bytes a = response("gw.test", 1, {{127, 0, 0}}, 60);
  EXPECT_EQ(parseAddressAnswer(a.data(), a.size(), false).error, "malformed address record");
  Bytes good = response("gw.test", 1, {{127, 0, 0, 2}}, 60);
  EXPECT_EQ(parseAddressAnswer(good.data(), good.size() - 3, false).error, "malformed answer");
  Bytes huge(20000, 0);
  EXPECT_EQ(parseAddressAnswer(huge.data(), huge.size(), false).error, "answer over 16384 bytes");
}

}  // namespace
}  // namespace callmesh::ingress
