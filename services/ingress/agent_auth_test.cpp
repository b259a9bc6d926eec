// Agents' digest authentication (issue 16 item 5): the credentials file and AgentAuth's checks.
#include "services/ingress/agent_auth.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr const char* kUri = "sip:+14155550180@127.0.0.1:5060";
constexpr const char* kUser = "+14155550180";  // the Request-URI's user part

config::AgentAuthSettings settings() {
  config::AgentAuthSettings s;
  s.realm = "callmesh";
  s.nonce_lifetime_s = 300;
  return s;
}

// A device answering `challenge_nonce` the way a phone would.
std::string answer(DigestAlgorithm a, const std::string& user, const std::string& password,
                   const std::string& nonce, const std::string& nc = "00000001",
                   const std::string& method = "INVITE") {
  std::string ha1 = digestHa1(a, user, "callmesh", password);
  std::string response = digestResponse(a, ha1, {method, kUri, nonce, nc, "c0ffee", "auth"});
  return "Digest username=\"" + user + "\", realm=\"callmesh\", nonce=\"" + nonce + "\", uri=\"" +
         kUri + "\", response=\"" + response + "\", algorithm=" + algorithmName(a) +
         ", qop=auth, nc=" + nc + ", cnonce=\"c0ffee\"";
}

std::string nonceOf(const std::string& challenge) {
  size_t at = challenge.find("nonce=\"") + 7;
  return challenge.substr(at, challenge.find('"', at) - at);
}

struct Fixture {
  Fixture() : auth(settings(), "secret", nullptr, nullptr) {
    std::string file =
        "alice:callmesh:" + digestHa1(DigestAlgorithm::Sha256, "alice", "callmesh", "wonderland") +
        "\nalice:callmesh:" + digestHa1(DigestAlgorithm::Md5, "alice", "callmesh", "wonderland") +
        "\n";
    auto creds = AgentCredentials::parse(file, "agents.txt");
    EXPECT_TRUE(creds.ok());
    auth.setCredentialsForTest(std::move(creds.value()));
  }
  AgentAuth auth;
};

TEST(AgentAuth, ChallengesOfferSha256ThenMd5WithQopAuth) {
  Fixture f;
  auto c = f.auth.challenges(kNow, false);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NE(c[0].find("algorithm=SHA-256"), std::string::npos) << c[0];
  EXPECT_NE(c[1].find("algorithm=MD5"), std::string::npos) << c[1];
  EXPECT_NE(c[0].find("realm=\"callmesh\""), std::string::npos);
  EXPECT_NE(c[0].find("qop=\"auth\""), std::string::npos);
  EXPECT_EQ(c[0].find("stale"), std::string::npos);
  EXPECT_NE(f.auth.challenges(kNow, true)[1].find("stale=true"), std::string::npos);
}

TEST(AgentAuth, RightAnswerWithEitherAlgorithmAuthenticates) {
  Fixture f;
  std::string nonce = nonceOf(f.auth.challenges(kNow, false)[0]);
  for (DigestAlgorithm a : {DigestAlgorithm::Sha256, DigestAlgorithm::Md5}) {
    std::string nc = a == DigestAlgorithm::Sha256 ? "00000001" : "00000002";
    auto check =
        f.auth.verify("INVITE", kUser, answer(a, "alice", "wonderland", nonce, nc), kNow + 10);
    EXPECT_EQ(check.verdict, AgentAuth::Verdict::Authenticated) << check.why;
    EXPECT_EQ(check.agent, "alice");
  }
}

TEST(AgentAuth, WrongPasswordUnknownUserOrForgedNonceIsRejected) {
  Fixture f;
  std::string nonce = nonceOf(f.auth.challenges(kNow, false)[0]);
  auto wrong = f.auth.verify("INVITE", kUser,
                             answer(DigestAlgorithm::Sha256, "alice", "guess", nonce), kNow);
  EXPECT_EQ(wrong.verdict, AgentAuth::Verdict::Rejected);
  EXPECT_EQ(wrong.why.find("guess"), std::string::npos);  // no secret in the reason
  EXPECT_EQ(
      f.auth.verify("INVITE", kUser, answer(DigestAlgorithm::Md5, "mallory", "x", nonce), kNow)
          .verdict,
      AgentAuth::Verdict::Rejected);
  NonceMinter other("not our secret", 300'000);
  EXPECT_EQ(f.auth
                .verify("INVITE", kUser,
                        answer(DigestAlgorithm::Md5, "alice", "wonderland", other.mint(kNow)), kNow)
                .verdict,
            AgentAuth::Verdict::Rejected);
  // The answer to a MESSAGE does not authenticate an INVITE (the method is in HA2).
  EXPECT_EQ(
      f.auth
          .verify("INVITE", kUser,
                  answer(DigestAlgorithm::Md5, "alice", "wonderland", nonce, "00000009", "MESSAGE"),
                  kNow)
          .verdict,
      AgentAuth::Verdict::Rejected);
}

TEST(AgentAuth, ExpiredNonceIsStaleOnlyWhenTheAnswerIsRight) {
  Fixture f;
  std::string nonce = nonceOf(f.auth.challenges(kNow, false)[0]);
  int64_t later = kNow + 300'001;
  EXPECT_EQ(f.auth
                .verify("INVITE", kUser,
                        answer(DigestAlgorithm::Sha256, "alice", "wonderland", nonce), later)
                .verdict,
            AgentAuth::Verdict::Stale);
  EXPECT_EQ(
      f.auth.verify("INVITE", kUser, answer(DigestAlgorithm::Sha256, "alice", "nope", nonce), later)
          .verdict,
      AgentAuth::Verdict::Rejected);
}

TEST(AgentAuth, ReplayedNonceCountIsRejected) {
  Fixture f;
  std::string nonce = nonceOf(f.auth.challenges(kNow, false)[0]);
  std::string first = answer(DigestAlgorithm::Md5, "alice", "wonderland", nonce, "00000001");
  EXPECT_EQ(f.auth.verify("INVITE", kUser, first, kNow).verdict, AgentAuth::Verdict::Authenticated);
  EXPECT_EQ(f.auth.verify("INVITE", kUser, first, kNow + 1).verdict, AgentAuth::Verdict::Rejected);
  std::string next = answer(DigestAlgorithm::Md5, "alice", "wonderland", nonce, "00000002");
  EXPECT_EQ(f.auth.verify("INVITE", kUser, next, kNow + 2).verdict,
            AgentAuth::Verdict::Authenticated);
}

TEST(AgentAuth, AnAnswerForOneNumberDoesNotCallAnother) {
  Fixture f;
  std::string nonce = nonceOf(f.auth.challenges(kNow, false)[0]);
  std::string answer_for_callee = answer(DigestAlgorithm::Md5, "alice", "wonderland", nonce);
  auto moved = f.auth.verify("INVITE", "+19005550100", answer_for_callee, kNow);
  EXPECT_EQ(moved.verdict, AgentAuth::Verdict::Rejected);
  EXPECT_EQ(moved.why, "uri names another number");
  EXPECT_EQ(f.auth.verify("INVITE", kUser, answer_for_callee, kNow).verdict,
            AgentAuth::Verdict::Authenticated);
}

TEST(AgentAuth, DigestUriWithoutAUserIsAccepted) {
  Fixture f;
  std::string nonce = nonceOf(f.auth.challenges(kNow, false)[0]);
  // SIPp 3.6 answers with uri="sip:<the proxy's host:port>", naming no number.
  std::string ha1 = digestHa1(DigestAlgorithm::Md5, "alice", "callmesh", "wonderland");
  std::string uri = "sip:127.0.0.1:5060";
  std::string response =
      digestResponse(DigestAlgorithm::Md5, ha1, {"INVITE", uri, nonce, "00000001", "c", "auth"});
  std::string value =
      "Digest username=\"alice\",realm=\"callmesh\",cnonce=\"c\",nc=00000001,"
      "qop=auth,uri=\"" +
      uri + "\",nonce=\"" + nonce + "\",response=\"" + response + "\",algorithm=MD5";
  auto check = f.auth.verify("INVITE", kUser, value, kNow);
  EXPECT_EQ(check.verdict, AgentAuth::Verdict::Authenticated) << check.why;
}

TEST(AgentAuth, LegacyAnswersWithoutQopAreRejected) {
  Fixture f;
  std::string nonce = nonceOf(f.auth.challenges(kNow, false)[0]);
  std::string ha1 = digestHa1(DigestAlgorithm::Md5, "alice", "callmesh", "wonderland");
  std::string response =
      digestResponse(DigestAlgorithm::Md5, ha1, {"INVITE", kUri, nonce, "", "", ""});
  std::string legacy = "Digest username=\"alice\", realm=\"callmesh\", nonce=\"" + nonce +
                       "\", uri=\"" + kUri + "\", response=\"" + response + "\"";
  EXPECT_EQ(f.auth.verify("INVITE", kUser, legacy, kNow).verdict, AgentAuth::Verdict::Rejected);
}

TEST(AgentCredentials, ParsesHa1LinesByLengthAndNamesBadLinesWithoutTheirValue) {
  auto ok = AgentCredentials::parse(
      "# comment\n\nalice:callmesh:939E7578ED9E3C518A452ACEE763BCE9\n", "agents.txt");
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  ASSERT_NE(ok.value().ha1("alice", "callmesh", DigestAlgorithm::Md5), nullptr);
  EXPECT_EQ(*ok.value().ha1("alice", "callmesh", DigestAlgorithm::Md5),
            "939e7578ed9e3c518a452acee763bce9");
  EXPECT_EQ(ok.value().ha1("alice", "callmesh", DigestAlgorithm::Sha256), nullptr);
  auto bad = AgentCredentials::parse("bob:callmesh:hunter2\njust-a-name\n", "agents.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "agents.txt:1: HA1 of 'bob' must be 32 (MD5) or 64 (SHA-256) hex digits\n"
            "agents.txt:2: must be user:realm:HA1");
  EXPECT_EQ(bad.error().message.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace callmesh::ingress
