// notification.trusted_proxies: which address the API's per-client limits key on.
#include "services/notification/client_address.h"

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

net::CidrSet proxies() {
  // The cluster's ingress controllers (pod network) and an IPv6 load balancer subnet.
  return net::CidrSet::parse({"10.42.0.0/16", "fd00:ba1::/64"}, "notification.trusted_proxies")
      .value();
}

TEST(ClientAddress, WithoutHeaderOrTrustedProxiesTheTcpPeer) {
  EXPECT_EQ(clientAddress("10.42.0.5", {}, proxies()), "10.42.0.5");
  net::CidrSet none;
  EXPECT_EQ(clientAddress("10.42.0.5", {"203.0.113.7"}, none), "10.42.0.5");
}

TEST(ClientAddress, SpoofedHeaderFromAnUntrustedPeerIsIgnored) {
  // A client on the internet reaching the API directly cannot pick its own key.
  EXPECT_EQ(clientAddress("198.51.100.23", {"203.0.113.7"}, proxies()), "198.51.100.23");
  EXPECT_EQ(clientAddress("198.51.100.23", {"10.42.0.5, 203.0.113.7"}, proxies()), "198.51.100.23");
}

TEST(ClientAddress, TrustedProxyNamesTheClient) {
  EXPECT_EQ(clientAddress("10.42.0.5", {"203.0.113.7"}, proxies()), "203.0.113.7");
  // A dual-stack listener reports the proxy as ::ffff:10.42.0.5: still the trusted proxy.
  EXPECT_EQ(clientAddress("::ffff:10.42.0.5", {"203.0.113.7"}, proxies()), "203.0.113.7");
}

TEST(ClientAddress, ChainOfProxiesRightmostUntrustedHopWins) {
  // The client forged "1.2.3.4" on the left; the load balancer (10.42.0.9) appended the client
  // it saw, the ingress controller (10.42.0.5, the peer) appended the load balancer.
  EXPECT_EQ(clientAddress("10.42.0.5", {"1.2.3.4, 203.0.113.7, 10.42.0.9"}, proxies()),
            "203.0.113.7");
  // The same chain split over two headers is one list.
  EXPECT_EQ(clientAddress("10.42.0.5", {"1.2.3.4, 203.0.113.7", "10.42.0.9"}, proxies()),
            "203.0.113.7");
  // Every hop a trusted proxy (a health check from inside): the leftmost.
  EXPECT_EQ(clientAddress("10.42.0.5", {"10.42.1.1,10.42.0.9"}, proxies()), "10.42.1.1");
}

TEST(ClientAddress, Ipv6HopsPortsAndCanonicalForm) {
  EXPECT_EQ(clientAddress("fd00:ba1::2", {"2001:DB8:0:0::7"}, proxies()), "2001:db8::7");
  EXPECT_EQ(clientAddress("fd00:ba1::2", {"[2001:db8::7]:51234"}, proxies()), "2001:db8::7");
  EXPECT_EQ(clientAddress("10.42.0.5", {"203.0.113.7:40000"}, proxies()), "203.0.113.7");
  EXPECT_EQ(clientAddress("10.42.0.5", {"2001:db8::7, fd00:ba1::3"}, proxies()), "2001:db8::7");
}

TEST(ClientAddress, GarbageHopStopsAtTheProxyToItsRight) {
  // A client cannot invent keys with hops that are not addresses: the walk stops at the last
  // trusted hop, whose bucket the client then shares.
  EXPECT_EQ(clientAddress("10.42.0.5", {"unknown"}, proxies()), "10.42.0.5");
  EXPECT_EQ(clientAddress("10.42.0.5", {"x-1, 10.42.0.9"}, proxies()), "10.42.0.9");
  EXPECT_EQ(clientAddress("10.42.0.5", {""}, proxies()), "10.42.0.5");
}

TEST(ClientAddress, OnlyTheLastHopsAreLookedAt) {
  std::string chain = "203.0.113.7";
  for (size_t i = 0; i < kMaxForwardedHops; ++i) chain += ", 10.42.0." + std::to_string(i + 1);
  // The client is one hop past the bound: the leftmost hop looked at stands for it.
  EXPECT_EQ(clientAddress("10.42.0.5", {chain}, proxies()), "10.42.0.1");
}

}  // namespace
}  // namespace callmesh::notification
