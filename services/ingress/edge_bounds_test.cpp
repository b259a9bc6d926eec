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

}  // namespace
}  // namespace callmesh::ingress
