// EdgeBounds over requests parsed as the ingress receives them (issue 16).
#include "services/ingress/edge_bounds.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "services/ingress/sip_message_class.h"

namespace callmesh::ingress {
namespace {

struct MsgDeleter {
  void operator()(msg_t* m) const { msg_destroy(m); }
};
using Msg = std::unique_ptr<msg_t, MsgDeleter>;

std::string invite(const std::string& user, const std::string& call_id,
                   const std::string& extra = "") {
  return "INVITE sip:" + user +
         "@127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:" +
         user + "@127.0.0.1>\r\nCall-ID: " + call_id + "\r\nCSeq: 1 INVITE\r\n" + extra +
         "Content-Length: 0\r\n\r\n";
}

std::optional<Oversized> check(const std::string& text, EdgeBounds bounds = {}) {
  Msg msg(
      parseAsReceived(ingressMessageClass(), text.data(), text.size(), "udp", "127.0.0.1", 5070));
  EXPECT_TRUE(msg);
  if (!msg) return std::nullopt;
  return oversizedPart(bounds, sip_object(msg.get()));
}

TEST(EdgeBounds, OrdinaryRequestIsWithinEveryBound) {
  EXPECT_FALSE(check(invite("+18889990000", "a84b4c76e66710@pc33.example.com")));
}

TEST(EdgeBounds, LongCallIdIs400) {
  EXPECT_FALSE(check(invite("+18889990000", std::string(256, 'c'))));
  auto over = check(invite("+18889990000", std::string(2048, 'c')));
  ASSERT_TRUE(over);
  EXPECT_EQ(over->status, 400);
  EXPECT_STREQ(over->what, "call_id");
}

TEST(EdgeBounds, LongRequestUriIs414) {
  auto over = check(invite(std::string(1100, '1'), "c1"));
  ASSERT_TRUE(over);
  EXPECT_EQ(over->status, 414);
  EXPECT_STREQ(over->what, "request_uri");
}

TEST(EdgeBounds, AnyLongHeaderIs400) {
  EXPECT_FALSE(check(invite("+18889990000", "c1", "X-Note: " + std::string(4000, 'n') + "\r\n")));
  auto over = check(invite("+18889990000", "c1", "X-Note: " + std::string(5000, 'n') + "\r\n"));
  ASSERT_TRUE(over);
  EXPECT_EQ(over->status, 400);
  EXPECT_STREQ(over->what, "header");
  // The bound is configurable.
  EXPECT_TRUE(check(invite("+18889990000", "c1", "Subject: " + std::string(300, 's') + "\r\n"),
                    EdgeBounds{256, 1024, 256}));
}

size_t sectionOf(const std::string& text, const std::string& transport = "udp") {
  Msg msg(parseAsReceived(ingressMessageClass(), text.data(), text.size(), transport, "127.0.0.1",
                          5070));
  EXPECT_TRUE(msg);
  return msg ? headerSectionBytes(sip_object(msg.get())) : 0;
}

// The header lines with their CRLFs, as the text has them: after the start line, before the blank
// line.
size_t expectedSection(const std::string& text) {
  size_t start = text.find("\r\n") + 2;
  return text.find("\r\n\r\n") + 2 - start;
}

TEST(EdgeBounds, HeaderSectionIsMeasuredCloseToTheWire) {
  std::string plain = invite("+18889990000", "c1");
  EXPECT_EQ(sectionOf(plain), expectedSection(plain));
  // Lists on one line (three Vias in one header, two in another), compact forms, odd spacing,
  // a folded line and a body.
  std::string listed = invite("+18889990000", "c1",
                              "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-a , SIP/2.0/UDP "
                              "10.0.0.2;branch=z9hG4bK-b,SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK-c\r\n"
                              "v: SIP/2.0/UDP 10.0.0.4;branch=z9hG4bK-d, SIP/2.0/UDP "
                              "10.0.0.5;branch=z9hG4bK-e\r\n"
                              "Subject:   folded\r\n  over two lines\r\n"
                              "Record-Route: <sip:a.example;lr>, <sip:b.example;lr>\r\n");
  // Within a few bytes of the wire: 5 list elements written as their own lines (+ "Via: " or
  // "Record-Route: " and CRLF, - ", "), the folded Subject's spacing collapsed.
  size_t wire = expectedSection(listed);
  EXPECT_GE(sectionOf(listed), wire - 16);
  EXPECT_LE(sectionOf(listed), wire + 5 * 16);
  std::string with_body = listed.substr(0, listed.size() - 2 - 19) +
                          "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
  EXPECT_EQ(sectionOf(with_body) - sectionOf(listed),
            expectedSection(with_body) - expectedSection(listed));  // the body is not counted
  EXPECT_EQ(sectionOf(listed, "tcp"), sectionOf(listed));
}

// Issue 16 item 6: many header lines, each under max_header_bytes, over the section's bound: 513
// over TCP, dropped over UDP.
TEST(EdgeBounds, HeaderSectionOverItsBoundIs513AndSilentOverUdp) {
  std::string lines;
  for (int i = 0; i < 40; ++i)
    lines += "X-Note-" + std::to_string(i) + ": " + std::string(400, 'n') + "\r\n";
  std::string big = invite("+18889990000", "c1", lines);
  ASSERT_GT(expectedSection(big), 16384u);
  auto over = check(big);
  ASSERT_TRUE(over);
  EXPECT_EQ(over->status, 513);
  EXPECT_STREQ(over->what, "header_section");
  EXPECT_TRUE(over->silent_over_udp);
  // Just within the bound: nothing to refuse. Other bounds' refusals are answered over UDP too.
  EdgeBounds exact;
  exact.max_header_section_bytes = expectedSection(big);
  EXPECT_FALSE(check(big, exact));
  auto call_id = check(invite("+18889990000", std::string(2048, 'c')));
  ASSERT_TRUE(call_id);
  EXPECT_FALSE(call_id->silent_over_udp);
}

}  // namespace
}  // namespace callmesh::ingress
