#include "shared/media/ng_protocol.h"

#include <gtest/gtest.h>

#include "shared/media/ng_client.h"

namespace callmesh::media {
namespace {

TEST(NgProtocol, CookiesAreUniqueAndCarryTheSeed) {
  NgCookies a(0xabcdef), b(0x123456);
  std::string a1 = a.next(), a2 = a.next();
  EXPECT_NE(a1, a2);
  EXPECT_NE(a1, b.next());
  EXPECT_EQ(a1.rfind("000000abcdef_", 0), 0u) << a1;
}

TEST(NgProtocol, EncodesCookieSpaceBencode) {
  BDict d;
  d["command"] = "ping";
  EXPECT_EQ(encodeNgRequest("c_1", d), "c_1 d7:command4:pinge");
}

TEST(NgProtocol, ParsesAReplyAndItsVerdict) {
  auto reply = parseNgReply("c_1 d6:result4:ponge");
  ASSERT_TRUE(reply.ok()) << reply.error().describe();
  EXPECT_EQ(reply->cookie, "c_1");
  EXPECT_TRUE(ngOutcome(std::move(reply.value()), "ping").ok());
}

TEST(NgProtocol, AnErrorReplyCarriesRtpenginesReason) {
  auto reply = parseNgReply("k d12:error-reason15:No such call!!!6:result5:errore");
  ASSERT_TRUE(reply.ok());
  auto outcome = ngOutcome(std::move(reply.value()), "answer");
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(outcome.error().message, "No such call!!!");
  EXPECT_EQ(outcome.error().context, "rtpengine answer");
}

TEST(NgProtocol, AnUnknownCallIsNotFound) {
  auto reply = parseNgReply("k d12:error-reason12:Unknown call6:result5:errore");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(ngOutcome(std::move(reply.value()), "delete").error().kind, ErrorKind::NotFound);
}

TEST(NgProtocol, MalformedRepliesAreRefused) {
  EXPECT_FALSE(parseNgReply("").ok());
  EXPECT_FALSE(parseNgReply("nocookie").ok());
  EXPECT_FALSE(parseNgReply(" d6:result2:oke").ok());
  EXPECT_FALSE(parseNgReply(std::string(65, 'c') + " d6:result2:oke").ok());
  EXPECT_FALSE(parseNgReply("c li1ee").ok());  // not a dictionary
  auto bad = parseNgReply("c d6:result");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().context.find("ng reply"), std::string::npos);
  auto weird = parseNgReply("c d6:result5:maybee");
  ASSERT_TRUE(weird.ok());
  EXPECT_EQ(ngOutcome(std::move(weird.value()), "query").error().kind, ErrorKind::Internal);
}

TEST(NgBreaker, OpensOnFailureAndLetsOneProbeThroughPerPeriod) {
  NgBreaker b(2000);
  EXPECT_TRUE(b.allow(0));
  b.failed(100);
  EXPECT_TRUE(b.open());
  EXPECT_FALSE(b.allow(500));
  EXPECT_FALSE(b.allow(2099));
  EXPECT_TRUE(b.allow(2100));   // the probe
  EXPECT_FALSE(b.allow(2101));  // the next one waits for the probe's period
  b.succeeded();
  EXPECT_TRUE(b.allow(2102));
}

}  // namespace
}  // namespace callmesh::media
