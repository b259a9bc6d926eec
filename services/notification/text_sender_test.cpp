// seed 004_ee4e98a6a7f6781b.txt "Outbound Logic": manual texts choose personal or company number;
// auto texts use the Sender ID, else the personal number, else the company number.
#include "services/notification/text_sender.h"

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

TEST(TextSender, AutoTextSenderIdChain) {
  config::AgentNumbers a{"+15550301", "+15550200", "+15550999"};
  EXPECT_EQ(autoTextSender(a).value(), "+15550999");
  a.sender_id.clear();
  EXPECT_EQ(autoTextSender(a).value(), "+15550301");
  a.personal_number.clear();
  EXPECT_EQ(autoTextSender(a).value(), "+15550200");
  a.company_number.clear();
  EXPECT_FALSE(autoTextSender(a).ok());
}

TEST(TextSender, ManualTextChoosesPersonalOrCompany) {
  config::AgentNumbers a{"+15550301", "+15550200", ""};
  EXPECT_EQ(manualTextSender(a, "personal").value(), "+15550301");
  EXPECT_EQ(manualTextSender(a, "company").value(), "+15550200");
  EXPECT_FALSE(manualTextSender(a, "bridge").ok());
  a.personal_number.clear();
  auto r = manualTextSender(a, "personal");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no personal number"), std::string::npos);
}

TEST(TextSender, MessageCarriesTheChosenNumberAsFromAndAMatchingBranch) {
  std::string m = buildSipMessage("+15550200", "+15557770001", "hello", "gw:5060", "10.0.0.1:4000",
                                  "z9hG4bKabc", "t1", "c1@x");
  EXPECT_EQ(m.rfind("MESSAGE sip:+15557770001@gw:5060 SIP/2.0\r\n", 0), 0u);
  EXPECT_NE(m.find("\r\nFrom: <sip:+15550200@10.0.0.1:4000>;tag=t1\r\n"), std::string::npos);
  EXPECT_NE(m.find("branch=z9hG4bKabc"), std::string::npos);
  EXPECT_NE(m.find("Content-Length: 5\r\n\r\nhello"), std::string::npos);
  EXPECT_EQ(
      responseStatusFor("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKabc\r\n", "z9hG4bKabc"),
      200);
  EXPECT_EQ(responseStatusFor("SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKabc\r\n",
                              "z9hG4bKabc"),
            -100);
  EXPECT_EQ(
      responseStatusFor("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x;branch=z9hG4bKzzz\r\n", "z9hG4bKabc"),
      0);
}

TEST(TextSender, NoResponseTimesOutWithinTheBound) {
  SipMessageSender sender("127.0.0.1", 9, 600);  // discard port: nobody answers
  auto r = sender.send("+15550200", "+15557770001", "hi");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Timeout);
}

}  // namespace
}  // namespace callmesh::notification
