// Inbound trunks told apart by address or TLS certificate, with their own trust and rates
// (issue 21 item 4).
#include "services/ingress/trunk_book.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

config::TrunkSettings trunk(std::string name, std::vector<std::string> sources,
                            std::vector<std::string> subjects) {
  config::TrunkSettings t;
  t.name = std::move(name);
  t.sources = std::move(sources);
  t.tls_subjects = std::move(subjects);
  return t;
}

TEST(TrunkBook, CertificateBeforeAddress) {
  auto book = TrunkBook::create(
      {trunk("by-address", {"192.0.2.0/24"}, {}), trunk("by-cert", {}, {"PBX-B.example.net"})});
  ASSERT_TRUE(book.ok());
  EXPECT_TRUE(book->anyByCertificate());
  const Trunk* t = book->identify("192.0.2.9", {"pbx-b.example.net", "Other CN"});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "by-cert");  // the same NAT address, told apart by its certificate
  EXPECT_EQ(t->bucket, "trunk:by-cert");
  t = book->identify("192.0.2.9", {});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "by-address");
  // Its place in the book, where TrunkMetrics keeps its counters.
  EXPECT_EQ(t->index, 0u);
  EXPECT_EQ(book->identify("192.0.2.9", {"pbx-b.example.net"})->index, 1u);
  EXPECT_EQ(book->trunks().size(), 2u);
  EXPECT_EQ(book->identify("198.51.100.1", {"someone-else.example"}), nullptr);
  EXPECT_EQ(book->identify("not an ip", {}), nullptr);
}

TEST(TrunkBook, RatesAndTrustCarried) {
  auto settings = trunk("carrier", {"2001:db8::/32"}, {});
  settings.identity_trusted = true;
  settings.new_call_rps = 7;
  settings.new_call_burst = 3;
  auto book = TrunkBook::create({settings});
  ASSERT_TRUE(book.ok());
  const Trunk* t = book->identify("2001:db8::5", {});
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->identity_trusted);
  EXPECT_EQ(t->rates.new_calls_per_second, 7);
  EXPECT_EQ(t->rates.new_call_burst, 3);
}

// A trunk's new-call bucket is the trunk's: its addresses share it, at its own rate.
TEST(TrunkBook, TrunkBucketSharedByItsAddresses) {
  auto guard = SourceGuard::create(SourceGuardSettings{});
  ASSERT_TRUE(guard.ok());
  SourceGuard::Rates rates{100, 100, 1, 2};
  int retry = 0;
  EXPECT_EQ(guard->checkTrunk("trunk:t", rates, 0), SourceGuard::Verdict::Allow);
  EXPECT_EQ(guard->checkNewCall("trunk:t", 0, retry, &rates), SourceGuard::NewCall::Allow);
  EXPECT_EQ(guard->checkNewCall("trunk:t", 0, retry, &rates), SourceGuard::NewCall::Allow);
  EXPECT_EQ(guard->checkNewCall("trunk:t", 0, retry, &rates), SourceGuard::NewCall::Refused);
  EXPECT_EQ(retry, 1);
  // An address outside the trunk keeps the ingress-wide bucket (burst 200).
  EXPECT_EQ(guard->checkNewCall("127.0.0.1", 0, retry), SourceGuard::NewCall::Allow);
}

}  // namespace
}  // namespace callmesh::ingress
