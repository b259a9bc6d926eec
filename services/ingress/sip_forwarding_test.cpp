// One hop of forwarding (sip_forwarding.h) on real parsed messages: what is stripped from what
// arrived (issue 16, item 3), preloaded routes and our own Via.
#include "services/ingress/sip_forwarding.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "services/ingress/sip_inspection.h"
#include "services/ingress/sip_message_class.h"

namespace callmesh::ingress {
namespace {

struct MsgDeleter {
  void operator()(msg_t* m) const { msg_destroy(m); }
};
using Msg = std::unique_ptr<msg_t, MsgDeleter>;

Msg received(const std::string& text) {
  return Msg(
      parseAsReceived(ingressMessageClass(), text.data(), text.size(), "udp", "127.0.0.1", 5099));
}

std::string encoded(msg_t* msg) {
  msg_prepare(msg);
  std::size_t len = 0;
  char* data = msg_as_string(msg_home(msg), msg, nullptr, 0, &len);
  return data ? std::string(data) : std::string();
}

const ProxyHop kHop{"10.0.0.5", "0.0.0.0", 5070, 0};

std::string invite(const std::string& extra) {
  return "INVITE sip:+15550100@10.0.0.5 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-1\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: "
         "<sip:+15550100@example.com>\r\n"
         "Call-ID: c1\r\nCSeq: 1 INVITE\r\n" +
         extra + "Content-Length: 0\r\n\r\n";
}

const std::string kHostile =
    "X-Callmesh-Record: off\r\nx-callmesh-whisper: x\r\nX-Callmesh-Path: +15550199\r\n"
    "P-Asserted-Identity: <sip:+19995550000@evil.example.com>\r\n"
    "P-Preferred-Identity: <sip:+19995550001@evil.example.com>\r\n"
    "X-Caller-Zip: 10001\r\nDiversion: <sip:+15550111@gw>\r\n";

TEST(SipForwarding, ControlHeadersAndUntrustedIdentityAreStrippedFromACopy) {
  Msg original = received(invite(kHostile));
  ASSERT_TRUE(original);
  Msg copy(msg_copy(original.get()));
  ASSERT_TRUE(copy);
  EXPECT_EQ(stripArrivedHeaders(copy.get(), HeaderSource{false, false}), 5);
  std::string out = encoded(copy.get());
  EXPECT_EQ(out.find("X-Callmesh"), std::string::npos) << out;
  EXPECT_EQ(out.find("x-callmesh"), std::string::npos) << out;
  EXPECT_EQ(out.find("Identity"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Caller-Zip: 10001"), std::string::npos) << out;
  EXPECT_NE(out.find("Diversion: <sip:+15550111@gw>"), std::string::npos) << out;
  EXPECT_NE(out.find("Call-ID: c1"), std::string::npos) << out;
  // The received request is untouched: its X-Callmesh-Path is still there to be read.
  EXPECT_NE(encoded(original.get()).find("X-Callmesh-Path: +15550199"), std::string::npos);
}

// The leg headers used to be parsed onto the end of the message, after the blank line: into the
// body, where the phone never saw them (found by tests/e2e/hostile_sip_e2e_test.py).
TEST(SipForwarding, LegHeadersGoBeforeTheBlankLineAndReplaceWhatArrived) {
  for (const std::string& extra : {std::string(), kHostile}) {
    Msg original = received(invite(extra));
    Msg fwd(msg_copy(original.get()));
    stripArrivedHeaders(fwd.get(), HeaderSource{true, true});
    RoutePlan plan;
    plan.number = "+15550100";
    plan.max_duration_s = 60;
    PlanTarget target;
    target.caller_id_number = "+15550100";
    target.whisper = "w1";
    target.prevent_recording = true;
    addLegHeaders(fwd.get(), {"c1", "+15550100", "a", schema::CallKind::VOICE}, {"+15550199"}, plan,
                  target);
    std::string out = encoded(fwd.get());
    std::string head = out.substr(0, out.find("\r\n\r\n") + 2);
    EXPECT_EQ(out.size(), head.size() + 2) << out;  // nothing after the blank line
    for (const char* want :
         {"P-Asserted-Identity: <sip:+15550100@example.com>\r\n", "X-Callmesh-Whisper: w1\r\n",
          "X-Callmesh-Record: off\r\n", "X-Callmesh-Max-Duration: 60\r\n",
          "X-Callmesh-Path: +15550199,+15550100\r\n"}) {
      EXPECT_NE(head.find(want), std::string::npos) << want << " in\n" << out;
    }
    EXPECT_EQ(head.find("evil"), std::string::npos) << out;
    EXPECT_EQ(head.find("P-Preferred-Identity"), std::string::npos) << out;
  }
}

TEST(SipForwarding, IdentityFromTheTrustDomainIsKeptUnlessWeReplaceIt) {
  Msg kept = received(invite(kHostile));
  EXPECT_EQ(stripArrivedHeaders(kept.get(), HeaderSource{true, false}), 3);
  std::string out = encoded(kept.get());
  EXPECT_NE(out.find("P-Asserted-Identity: <sip:+19995550000@evil.example.com>"), std::string::npos)
      << out;
  EXPECT_NE(out.find("P-Preferred-Identity"), std::string::npos) << out;

  Msg replaced = received(invite(kHostile));
  EXPECT_EQ(stripArrivedHeaders(replaced.get(), HeaderSource{true, true}), 5);
  EXPECT_EQ(encoded(replaced.get()).find("Identity"), std::string::npos);
}

TEST(SipForwarding, RoutesElsewhereUnlessEveryEntryNamesUs) {
  EXPECT_FALSE(routesElsewhere(kHop, sip_object(received(invite("")).get())));
  EXPECT_FALSE(routesElsewhere(
      kHop, sip_object(received(invite("Route: <sip:10.0.0.5:5070;lr>\r\n")).get())));
  EXPECT_TRUE(routesElsewhere(
      kHop, sip_object(received(invite("Route: <sip:198.51.100.9;lr>\r\n")).get())));
  EXPECT_TRUE(routesElsewhere(
      kHop,
      sip_object(received(invite("Route: <sip:10.0.0.5:5070;lr>, <sip:premium.example.com;lr>\r\n"))
                     .get())));
  EXPECT_TRUE(routesElsewhere(  // our host, another port
      kHop, sip_object(received(invite("Route: <sip:10.0.0.5:5060;lr>\r\n")).get())));
}

TEST(SipForwarding, OurViaIsOurHostAndPort) {
  Msg msg = received(
      "OPTIONS sip:x@10.0.0.5 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-2\r\n"
      "Via: SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK-1\r\n"
      "Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK-0\r\n"
      "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n");
  sip_via_t const* v = sip_object(msg.get())->sip_via;
  ASSERT_TRUE(v && v->v_next && v->v_next->v_next);
  EXPECT_FALSE(isOurVia(kHop, v));
  EXPECT_TRUE(isOurVia(kHop, v->v_next));
  EXPECT_FALSE(isOurVia(kHop, v->v_next->v_next));  // default port 5060 is not ours
}

// RFC 5658 double Record-Route (issue 21): a TLS caller and a UDP phone each find their own side
// of the ingress first in their route set; the TLS entry names the TLS port.
TEST(SipForwarding, RecordRouteTwiceWhenTheTransportsDiffer) {
  const ProxyHop hop{"10.0.0.5", "0.0.0.0", 5070, 5071};
  Msg tls_to_udp = received(invite(""));
  insertRecordRoute(hop, tls_to_udp.get(), "tls", "udp");
  std::string text = encoded(tls_to_udp.get());
  auto top = text.find("Record-Route: <sip:10.0.0.5:5070;lr>");
  auto lower = text.find("Record-Route: <sip:10.0.0.5:5071;transport=tls;lr>");
  ASSERT_NE(top, std::string::npos) << text;
  ASSERT_NE(lower, std::string::npos) << text;
  EXPECT_LT(top, lower);  // the phone's (callee's) side on top
  Msg both_tls = received(invite(""));
  insertRecordRoute(hop, both_tls.get(), "tls", "tls");
  text = encoded(both_tls.get());
  EXPECT_NE(text.find("Record-Route: <sip:10.0.0.5:5071;transport=tls;lr>\r\n"), std::string::npos);
  EXPECT_EQ(text.find("5070;lr"), std::string::npos) << text;
}

TEST(SipForwarding, BothPortsAreOurs) {
  const ProxyHop hop{"10.0.0.5", "0.0.0.0", 5070, 5071};
  EXPECT_TRUE(hop.ours(5070));
  EXPECT_TRUE(hop.ours(5071));
  EXPECT_FALSE(hop.ours(5072));
  EXPECT_FALSE(kHop.ours(0));  // no TLS listener: port 0 is nobody's
  EXPECT_EQ(transportOfUri("sips:+1@gw.example.net"), "tls");
  EXPECT_EQ(transportOfUri("sip:+1@gw.example.net;transport=TLS"), "tls");
  EXPECT_EQ(transportOfUri("sip:+1@gw.example.net"), "udp");
}

}  // namespace
}  // namespace callmesh::ingress
