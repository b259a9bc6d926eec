// The digest module against the RFCs' own examples, and the nonces' lifetime.
#include "services/ingress/sip_digest.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

// RFC 7616 3.9.1: the same request answered with MD5 and with SHA-256.
constexpr const char* kNonce7616 = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr const char* kCnonce7616 = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

std::string rfc7616(DigestAlgorithm algorithm) {
  std::string ha1 = digestHa1(algorithm, "Mufasa", "http-auth@example.org", "Circle of Life");
  return digestResponse(algorithm, ha1,
                        {"GET", "/dir/index.html", kNonce7616, "00000001", kCnonce7616, "auth"});
}

TEST(SipDigest, Rfc7616Section391Md5) {
  EXPECT_EQ(rfc7616(DigestAlgorithm::Md5), "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(SipDigest, Rfc7616Section391Sha256) {
  EXPECT_EQ(rfc7616(DigestAlgorithm::Sha256),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

// RFC 2617 3.5 (MD5, qop=auth).
TEST(SipDigest, Rfc2617Section35) {
  std::string ha1 =
      digestHa1(DigestAlgorithm::Md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(digestResponse(DigestAlgorithm::Md5, ha1,
                           {"GET", "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                            "00000001", "0a4f113b", "auth"}),
            "6629fae49393a05397450978507c4ef1");
}

TEST(SipDigest, WrongPasswordGivesAnotherResponse) {
  std::string good = digestHa1(DigestAlgorithm::Sha256, "alice", "callmesh", "s3cret");
  std::string bad = digestHa1(DigestAlgorithm::Sha256, "alice", "callmesh", "s3cret!");
  DigestInput in{"INVITE", "sip:+15550100@127.0.0.1", "n", "00000001", "c", "auth"};
  EXPECT_NE(digestResponse(DigestAlgorithm::Sha256, good, in),
            digestResponse(DigestAlgorithm::Sha256, bad, in));
  EXPECT_EQ(good.size(), hexLength(DigestAlgorithm::Sha256));
}

TEST(SipDigest, AlgorithmNames) {
  EXPECT_EQ(algorithmFromName(""), DigestAlgorithm::Md5);  // absent: MD5 (RFC 7616 3.3)
  EXPECT_EQ(algorithmFromName("md5"), DigestAlgorithm::Md5);
  EXPECT_EQ(algorithmFromName("SHA-256"), DigestAlgorithm::Sha256);
  EXPECT_FALSE(algorithmFromName("SHA-256-sess"));
  EXPECT_FALSE(algorithmFromName("SHA-512-256"));
}

TEST(SipDigest, ParsesCredentialsWithQuotesAndCommas) {
  auto p = parseDigestCredentials(
      R"(Digest username="alice", realm="callmesh", nonce="abc", uri="sip:+1@h;x=\"q\"",)"
      R"( response="0123", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="a,b")");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->at("username"), "alice");
  EXPECT_EQ(p->at("uri"), "sip:+1@h;x=\"q\"");
  EXPECT_EQ(p->at("algorithm"), "SHA-256");
  EXPECT_EQ(p->at("cnonce"), "a,b");
  EXPECT_EQ(p->at("nc"), "00000001");
}

TEST(SipDigest, RefusesWhatDoesNotParse) {
  EXPECT_FALSE(parseDigestCredentials("Basic YWxhZGRpbjpvcGVuc2VzYW1l"));
  EXPECT_FALSE(parseDigestCredentials("Digest username=\"alice"));
  EXPECT_FALSE(parseDigestCredentials("Digest username"));
  EXPECT_FALSE(parseDigestCredentials("Digest username=a, username=b"));
  EXPECT_FALSE(parseDigestCredentials("Digest a=" + std::string(2000, 'x')));
  EXPECT_FALSE(parseDigestCredentials(""));
}

TEST(NonceMinter, ValidThenStaleAfterItsLifetime) {
  NonceMinter minter("secret", 300'000);
  std::string nonce = minter.mint(1'000'000);
  EXPECT_EQ(minter.check(nonce, 1'000'000), NonceMinter::Check::Valid);
  EXPECT_EQ(minter.check(nonce, 1'300'000), NonceMinter::Check::Valid);
  EXPECT_EQ(minter.check(nonce, 1'300'001), NonceMinter::Check::Stale);
}

TEST(NonceMinter, ForgedTamperedOrFutureNoncesAreInvalid) {
  NonceMinter minter("secret", 300'000);
  std::string nonce = minter.mint(1'000'000);
  EXPECT_EQ(NonceMinter("other", 300'000).check(nonce, 1'000'000), NonceMinter::Check::Invalid);
  std::string later = nonce;
  later[15] = later[15] == '0' ? '1' : '0';  // move the time stamp, keep the tag
  EXPECT_EQ(minter.check(later, 1'000'000), NonceMinter::Check::Invalid);
  EXPECT_EQ(minter.check(minter.mint(5'000'000), 1'000'000), NonceMinter::Check::Invalid);
  EXPECT_EQ(minter.check("short", 1'000'000), NonceMinter::Check::Invalid);
  EXPECT_EQ(minter.check(std::string(48, 'z'), 1'000'000), NonceMinter::Check::Invalid);
}

}  // namespace
}  // namespace callmesh::ingress
