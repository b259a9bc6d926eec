#include "shared/net/cidr.h"

#include <gtest/gtest.h>

namespace callmesh::net {
namespace {

IpBytes ip(const std::string& text) {
  IpBytes out{};
  EXPECT_TRUE(parseIp(text, out)) << text;
  return out;
}

TEST(Cidr, Ipv4NetworkContainsItsAddressesOnly) {
  auto c = Cidr::parse("10.1.0.0/16").value();
  EXPECT_TRUE(c.contains(ip("10.1.0.1")));
  EXPECT_TRUE(c.contains(ip("10.1.255.255")));
  EXPECT_FALSE(c.contains(ip("10.2.0.1")));
  EXPECT_FALSE(c.contains(ip("2001:db8::1")));
  // A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d: the same host.
  EXPECT_TRUE(c.contains(ip("::ffff:10.1.2.3")));
}

TEST(Cidr, Ipv6NetworkAndBareAddresses) {
  auto c = Cidr::parse("2001:db8::/32").value();
  EXPECT_TRUE(c.contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(c.contains(ip("2001:db9::1")));
  auto host = Cidr::parse("192.0.2.7").value();  // a bare address is a /32
  EXPECT_TRUE(host.contains(ip("192.0.2.7")));
  EXPECT_FALSE(host.contains(ip("192.0.2.8")));
  auto any = Cidr::parse("0.0.0.0/0").value();
  EXPECT_TRUE(any.contains(ip("198.51.100.1")));
}

TEST(Cidr, TyposAndOutOfRangePrefixesAreErrorsNamingTheEntry) {
  for (const char* bad : {"10.0.0.l/8", "gateway.example.com", "10.0.0.0/", "10.0.0.0/8x",
                          "10.0.0.0/-1", "10.0.0.0/33", "::/129", "10.0.0.0/ 8", ""}) {
    auto c = Cidr::parse(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.error().message.find("'" + std::string(bad) + "'"), std::string::npos)
        << c.error().message;
  }
}

TEST(CidrSet, FirstBadEntryIsTheErrorWithTheFieldAsContext) {
  auto set = CidrSet::parse({"10.0.0.0/8", "10.0.0.0/40"}, "notification.trusted_proxies");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().context, "notification.trusted_proxies");
  EXPECT_NE(set.error().message.find("'10.0.0.0/40'"), std::string::npos);
  auto good = CidrSet::parse({"10.0.0.0/8", "fd00::/8"}, "x").value();
  EXPECT_TRUE(good.contains(std::string("10.9.9.9")));
  EXPECT_TRUE(good.contains(std::string("fd12::1")));
  EXPECT_FALSE(good.contains(std::string("192.0.2.1")));
  EXPECT_FALSE(good.contains(std::string("not an address")));
}

TEST(FormatIp, OneSpellingPerAddress) {
  EXPECT_EQ(formatIp(ip("::ffff:10.0.0.1")), "10.0.0.1");
  EXPECT_EQ(formatIp(ip("10.0.0.1")), "10.0.0.1");
  EXPECT_EQ(formatIp(ip("2001:0DB8:0000::0001")), "2001:db8::1");
  EXPECT_EQ(formatIp(ip("[2001:db8::1]")), "2001:db8::1");
}

}  // namespace
}  // namespace callmesh::net
