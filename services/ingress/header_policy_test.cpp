// Issue 16, item 3: which arrived headers the ingress passes on (header_policy.h).
#include "services/ingress/header_policy.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

constexpr HeaderSource kUntrusted{false, false};
constexpr HeaderSource kTrusted{true, false};
constexpr HeaderSource kTrustedReplaced{true, true};
constexpr HeaderSource kUntrustedReplaced{false, true};

struct Row {
  const char* name;
  HeaderSource source;
  HeaderFate fate;
};

TEST(HeaderPolicy, EveryControlHeaderIsOursAndIdentityNeedsTheTrustDomain) {
  const Row rows[] = {
      // Control headers: removed from everyone, whatever the case or the suffix.
      {"X-Callmesh-Record", kTrusted, HeaderFate::Remove},
      {"x-callmesh-whisper", kTrusted, HeaderFate::Remove},
      {"X-CALLMESH-PATH", kUntrusted, HeaderFate::Remove},
      {"X-Callmesh-Project", kTrusted, HeaderFate::Remove},
      {"X-Callmesh-Anything-New", kUntrusted, HeaderFate::Remove},
      {"X-Callmesh-", kUntrusted, HeaderFate::Remove},
      // Look-alikes are not ours.
      {"X-Callmesh", kUntrusted, HeaderFate::Keep},
      {"X-Callmeshy-Record", kUntrusted, HeaderFate::Keep},
      {"X-Caller-Zip", kUntrusted, HeaderFate::Keep},
      // RFC 3325 identity: only from the trust domain, and never when we set our own.
      {"P-Asserted-Identity", kUntrusted, HeaderFate::Remove},
      {"p-asserted-identity", kUntrusted, HeaderFate::Remove},
      {"P-Preferred-Identity", kUntrusted, HeaderFate::Remove},
      {"P-Asserted-Identity", kTrusted, HeaderFate::Keep},
      {"P-Preferred-Identity", kTrusted, HeaderFate::Keep},
      {"P-Asserted-Identity", kTrustedReplaced, HeaderFate::Remove},
      {"P-Preferred-Identity", kUntrustedReplaced, HeaderFate::Remove},
      {"P-Asserted-Identity-Extra", kUntrusted, HeaderFate::Keep},
      // Everything else passes (RFC 3261 16.6: a proxy forwards headers it does not know).
      {"From", kUntrusted, HeaderFate::Keep},
      {"Diversion", kUntrusted, HeaderFate::Keep},
      {"Privacy", kUntrusted, HeaderFate::Keep},
      {"", kUntrusted, HeaderFate::Keep},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(fateOf(row.name, row.source), row.fate)
        << row.name << " trusted=" << row.source.identity_trusted
        << " replaced=" << row.source.identity_replaced;
  }
}

TEST(HeaderPolicy, TrustDomainIsEmptyByDefaultAndMatchesItsNetworks) {
  auto nobody = TrustDomain::create({});
  ASSERT_TRUE(nobody.ok());
  EXPECT_FALSE(nobody->contains("127.0.0.1"));
  EXPECT_FALSE(nobody->contains("10.0.0.1"));

  auto carriers = TrustDomain::create({"10.2.0.0/16", "2001:db8::/32", "192.0.2.7"});
  ASSERT_TRUE(carriers.ok());
  EXPECT_TRUE(carriers->contains("10.2.255.1"));
  EXPECT_FALSE(carriers->contains("10.3.0.1"));
  EXPECT_TRUE(carriers->contains("2001:db8::5"));
  EXPECT_TRUE(carriers->contains("[2001:db8::5]"));
  EXPECT_TRUE(carriers->contains("192.0.2.7"));
  EXPECT_FALSE(carriers->contains("192.0.2.8"));
  EXPECT_FALSE(carriers->contains("carrier.example.com"));
  EXPECT_FALSE(carriers->contains(""));

  EXPECT_FALSE(TrustDomain::create({"10.0.0.0/99"}).ok());
}

}  // namespace
}  // namespace callmesh::ingress
