// A gateway name's answer over time (issue 21 point 3): TTL, retries, the stale bound; the
// time is passed in, as an injected clock would.
#include "services/ingress/gateway_dns_cache.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

Resolution answer(const std::string& address, uint32_t ttl) {
  return Resolution{{ResolvedTarget{address, 5060, "udp", 10, 60}}, ttl};
}

DnsCachePolicy policy() {
  DnsCachePolicy p;
  p.min_ttl_ms = 1000;
  p.max_ttl_ms = 60000;
  p.retry_ms = 5000;
  p.stale_ms = 30000;
  return p;
}

TEST(GatewayDnsCache, DueAtOnceThenAtTtlExpiry) {
  CachedResolution c(policy());
  EXPECT_TRUE(c.due(0));
  c.succeeded(answer("10.0.0.1", 10), 1000);
  EXPECT_FALSE(c.due(10999));
  EXPECT_TRUE(c.due(11000));
  EXPECT_EQ(c.targets()[0].address, "10.0.0.1");
  c.succeeded(answer("10.0.0.2", 10), 11000);  // the new answer replaces the old at once
  EXPECT_EQ(c.targets()[0].address, "10.0.0.2");
  EXPECT_EQ(c.nextDueMs(), 21000);
}

TEST(GatewayDnsCache, TtlClampedToPolicy) {
  CachedResolution c(policy());
  c.succeeded(answer("10.0.0.1", 0), 0);  // TTL 0 would mean asking on every round
  EXPECT_EQ(c.nextDueMs(), 1000);
  c.succeeded(answer("10.0.0.1", 86400), 0);
  EXPECT_EQ(c.nextDueMs(), 60000);
}

TEST(GatewayDnsCache, FailureKeepsLastAnswerForTheStaleBoundThenDrops) {
  CachedResolution c(policy());
  c.succeeded(answer("10.0.0.1", 10), 0);  // expires at 10000
  EXPECT_EQ(c.failed(10000), CachedResolution::Outcome::KeptStale);
  EXPECT_TRUE(c.stale());
  EXPECT_EQ(c.nextDueMs(), 15000);  // retried after retry_ms
  EXPECT_EQ(c.targets().size(), 1u);
  EXPECT_EQ(c.failed(39999), CachedResolution::Outcome::KeptStale);
  EXPECT_EQ(c.failed(40000), CachedResolution::Outcome::Dropped);  // expiry + stale_ms
  EXPECT_TRUE(c.targets().empty());
  EXPECT_FALSE(c.stale());
  EXPECT_EQ(c.failed(45000), CachedResolution::Outcome::Dropped);
  c.succeeded(answer("10.0.0.3", 10), 50000);  // back
  EXPECT_EQ(c.targets()[0].address, "10.0.0.3");
  EXPECT_FALSE(c.stale());
}

TEST(GatewayDnsCache, FailureBeforeAnyAnswerLeavesNothingAndRetries) {
  CachedResolution c(policy());
  EXPECT_EQ(c.failed(0), CachedResolution::Outcome::NeverResolved);
  EXPECT_TRUE(c.targets().empty());
  EXPECT_FALSE(c.due(4999));
  EXPECT_TRUE(c.due(5000));
}

TEST(GatewayDnsCache, FailureWithinTtlKeepsTheFreshAnswer) {
  CachedResolution c(policy());
  c.succeeded(answer("10.0.0.1", 60), 0);
  EXPECT_EQ(c.failed(1000), CachedResolution::Outcome::Fresh);
  EXPECT_FALSE(c.stale());
  EXPECT_EQ(c.targets().size(), 1u);
}

}  // namespace
}  // namespace callmesh::ingress
