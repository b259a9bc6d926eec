// The ingress's SIP message class (sip_message_class.h): RFC 4475 messages sofia alone would
// drop or call garbage, parsed as RFC 3261 says. tests/sip/rfc4475_e2e_test.py shows the same
// through the running ingress over UDP and TCP.
#include "services/ingress/sip_message_class.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace callmesh::ingress {
namespace {

struct MsgDeleter {
  void operator()(msg_t* m) const { msg_destroy(m); }
};
using Msg = std::unique_ptr<msg_t, MsgDeleter>;

Msg received(const std::string& text, const std::string& transport) {
  return Msg(parseAsReceived(ingressMessageClass(), text.data(), text.size(), transport,
                             "127.0.0.1", 5099));
}

std::string encoded(msg_t* msg) {
  msg_prepare(msg);
  std::size_t len = 0;
  char* data = msg_as_string(msg_home(msg), msg, nullptr, 0, &len);
  return data ? std::string(data) : std::string();
}

const std::string kInvite =
    "INVITE sip:+15550100@127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP gw.example.com;branch=z9hG4bK-1\r\n"
    "v: SIP/2.0/TLS lower.example.com;branch=z9hG4bK-0, SIP/2.0/SCTP lowest.example.com\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:+15550100@example.com>\r\n"
    "Call-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

TEST(SipMessageClass, TopViaOfARequestRecordsTheTransportItArrivedOn) {
  // RFC 4475 3.1.1.1 and most of its messages: a UDP Via sent over TCP (RFC 3261 18.2.2 answers
  // over the connection). NTA would drop this request without an answer.
  Msg msg = received(kInvite, "tcp");
  ASSERT_TRUE(msg);
  sip_t* sip = sip_object(msg.get());
  ASSERT_NE(sip->sip_via, nullptr);
  EXPECT_STREQ(sip->sip_via->v_protocol, "SIP/2.0/TCP");
  EXPECT_STREQ(sip->sip_via->v_host, "gw.example.com");
  EXPECT_STREQ(sip->sip_via->v_branch, "z9hG4bK-1");
  // Lower Vias belong to other hops and are left exactly as they came.
  ASSERT_NE(sip->sip_via->v_next, nullptr);
  EXPECT_STREQ(sip->sip_via->v_next->v_protocol, "SIP/2.0/TLS");
  ASSERT_NE(sip->sip_via->v_next->v_next, nullptr);
  EXPECT_STREQ(sip->sip_via->v_next->v_next->v_protocol, "SIP/2.0/SCTP");
  EXPECT_EQ(sip->sip_error, nullptr);
}

// SIP over TLS (issue 21): the socket says TCP for TLS too; a TLS Via on a stream is kept, and
// NTA's Via check holds it against the transport (TLS listener: kept; plain TCP: refused).
TEST(SipMessageClass, TlsViaOnAStreamIsLeftAsSent) {
  std::string invite = kInvite;
  invite.replace(invite.find("SIP/2.0/UDP gw"), 11, "SIP/2.0/TLS");
  // No TLS listener: it cannot have come over TLS, so it is recorded as TCP (RFC 4475 bext01
  // gets its 420 over TCP).
  Msg plain = received(invite, "tcp");
  ASSERT_TRUE(plain);
  EXPECT_STREQ(sip_object(plain.get())->sip_via->v_protocol, "SIP/2.0/TCP");
  setTlsListening(true);
  Msg msg = received(invite, "tcp");
  setTlsListening(false);
  ASSERT_TRUE(msg);
  EXPECT_STREQ(sip_object(msg.get())->sip_via->v_protocol, "SIP/2.0/TLS");
  Msg over_udp = received(invite, "udp");
  ASSERT_TRUE(over_udp);
  EXPECT_STREQ(sip_object(over_udp.get())->sip_via->v_protocol, "SIP/2.0/UDP");
}

TEST(SipMessageClass, MatchingViaIsUntouchedAndHeadersKeepSofiasOwnClasses) {
  Msg msg = received(kInvite, "udp");
  ASSERT_TRUE(msg);
  sip_t* sip = sip_object(msg.get());
  EXPECT_STREQ(sip->sip_via->v_protocol, "SIP/2.0/UDP");
  // The rest of sofia finds headers by their class pointer (msg_hclass_offset).
  EXPECT_EQ(sip->sip_via->v_common->h_class, sip_via_class);
  EXPECT_EQ(sip->sip_via->v_next->v_common->h_class, sip_via_class);
  EXPECT_EQ(sip->sip_cseq->cs_common->h_class, sip_cseq_class);
  EXPECT_EQ(sip->sip_request->rq_common->h_class, sip_request_class);
  // A header sofia makes itself still goes into the message (what NTA does for its own Via).
  sip_via_t* ours =
      sip_via_make(msg_home(msg.get()), "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-p");
  ASSERT_NE(ours, nullptr);
  ASSERT_EQ(msg_header_insert(msg.get(), reinterpret_cast<msg_pub_t*>(sip),
                              reinterpret_cast<msg_header_t*>(ours)),
            0);
  EXPECT_STREQ(sip->sip_via->v_host, "127.0.0.1");
  EXPECT_STREQ(sip->sip_via->v_next->v_host, "gw.example.com");
}

TEST(SipMessageClass, ResponsesKeepTheirVias) {
  const std::string response =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-2\r\n"
      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\nCall-ID: c2\r\n"
      "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  Msg msg = received(response, "tcp");
  ASSERT_TRUE(msg);
  EXPECT_STREQ(sip_object(msg.get())->sip_via->v_protocol, "SIP/2.0/UDP");
}

TEST(SipMessageClass, MethodTokensWithPlusAndBacktickAreExtensionMethods) {
  // RFC 4475 3.1.1.2 (intmeth): RFC 3261's token allows "+" and "`"; sofia's scanner does not.
  const std::string method = "!interesting-Method0123456789_*+`.%indeed'~";
  const std::string text =
      method +
      " sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com "
      "SIP/2.0\r\nVia: SIP/2.0/UDP host1.example.com;branch=z9hG4bK-.!%66*_+`'~\r\n"
      "To: <sip:b@example.com>\r\nFrom: <sip:a@example.com>;tag=_token~1'+`*%!-.\r\n"
      "Call-ID: intmeth\r\nCSeq: 139122385 " +
      method + "\r\nMax-Forwards: 255\r\nContent-Length: 0\r\n\r\n";
  Msg msg = received(text, "udp");
  ASSERT_TRUE(msg);
  sip_t* sip = sip_object(msg.get());
  ASSERT_NE(sip->sip_request, nullptr);
  EXPECT_EQ(sip->sip_request->rq_method, sip_method_unknown);
  EXPECT_EQ(sip->sip_request->rq_method_name, method);
  EXPECT_STREQ(sip->sip_request->rq_url->url_host, "example.com");
  EXPECT_STREQ(sip->sip_request->rq_version, "SIP/2.0");
  ASSERT_NE(sip->sip_cseq, nullptr);
  EXPECT_EQ(sip->sip_cseq->cs_seq, 139122385u);
  EXPECT_EQ(sip->sip_cseq->cs_method, sip_method_unknown);
  EXPECT_EQ(sip->sip_cseq->cs_method_name, method);
  EXPECT_EQ(sip->sip_error, nullptr);
  EXPECT_EQ(sip_sanity_check(sip), 0);
  // Re-sent as it came: the stand-in used for parsing never reaches the wire.
  EXPECT_EQ(encoded(msg.get()).rfind(method + " sip:", 0), 0u);
}

TEST(SipMessageClass, EscapedNulInAQuotedDisplayNameDoesNotCutTheMessage) {
  // RFC 4475 3.1.1.2 (intmeth): "\\" followed by a NUL octet is a legal quoted-pair.
  std::string text =
      "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bK-n\r\n"
      "To: \"BEL:\\\x07 NUL:\\";
  text += '\0';
  text +=
      " DEL:\\\x7f\" <sip:b@example.com>\r\nFrom: <sip:a@example.com>;tag=1\r\n"
      "Call-ID: nul\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 4\r\n\r\n"
      "a";
  text += '\0';
  text += "bc";
  Msg msg = received(text, "udp");
  ASSERT_TRUE(msg);
  sip_t* sip = sip_object(msg.get());
  ASSERT_NE(sip->sip_to, nullptr);
  EXPECT_STREQ(sip->sip_to->a_display, "\"BEL:\\\x07 NUL:\\  DEL:\\\x7f\"");
  ASSERT_NE(sip->sip_call_id, nullptr);
  EXPECT_STREQ(sip->sip_call_id->i_id, "nul");
  EXPECT_EQ(sip->sip_error, nullptr);
  // The body is not the header section: its NUL stays.
  ASSERT_NE(sip->sip_payload, nullptr);
  EXPECT_EQ(std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len),
            std::string("a\0bc", 4));
}

TEST(SipMessageClass, OrdinaryMethodsParseAsBefore) {
  Msg msg = received(kInvite, "udp");
  ASSERT_TRUE(msg);
  EXPECT_EQ(sip_object(msg.get())->sip_request->rq_method, sip_method_invite);
  EXPECT_EQ(sip_object(msg.get())->sip_cseq->cs_method, sip_method_invite);
}

TEST(SipMessageClass, UnsupportedVersionGetsReceivedAndRportSoThe505GoesToTheSource) {
  // RFC 4475 3.1.2.16 (badvers): NTA answers 505 before its own Via check.
  const std::string text =
      "OPTIONS sip:t.watson@example.org SIP/7.0\r\nVia:     SIP/7.0/UDP "
      "c.example.com;branch=z9hG4bKkdjuw\r\n"
      "Max-Forwards: 70\r\nFrom: A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe\r\n"
      "To: T. Watson <sip:t.watson@example.org>\r\nCall-ID: badvers.31417@c.example.com\r\n"
      "CSeq: 1 OPTIONS\r\nl: 0\r\n\r\n";
  Msg msg = received(text, "udp");
  ASSERT_TRUE(msg);
  sip_t* sip = sip_object(msg.get());
  ASSERT_NE(sip->sip_via, nullptr);
  EXPECT_STREQ(sip->sip_via->v_received, "127.0.0.1");
  EXPECT_STREQ(sip->sip_via->v_rport, "5099");
}

// Issue 16, item 6: RFC 3261 18.3 / 20.14, Content-Length is mandatory on a stream.
TEST(SipMessageClass, RequestOverTcpWithoutContentLengthIsAnError) {
  const std::string no_length =
      "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK-cl\r\n"
      "From: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: cl\r\nCSeq: 1 OPTIONS\r\n\r\n";
  Msg tcp = received(no_length, "tcp");
  ASSERT_TRUE(tcp);
  EXPECT_TRUE(msg_get_flags(tcp.get(), MSG_FLG_ERROR));
  ASSERT_NE(sip_object(tcp.get())->sip_request, nullptr);  // still answerable: NTA sends 400
  Msg udp = received(no_length, "udp");                    // a datagram ends where it ends (18.3)
  ASSERT_TRUE(udp);
  EXPECT_FALSE(msg_get_flags(udp.get(), MSG_FLG_ERROR));
  Msg with_length =
      received(no_length.substr(0, no_length.size() - 2) + "Content-Length: 0\r\n\r\n", "tcp");
  ASSERT_TRUE(with_length);
  EXPECT_FALSE(msg_get_flags(with_length.get(), MSG_FLG_ERROR));
}

TEST(SipMessageClass, GarbageStaysGarbage) {
  for (const std::string& text :
       {std::string("\x01\x02\x03 not sip\r\n\r\n"), std::string("INVITE\r\n\r\n"),
        std::string("+`+ x y\r\n\r\n"), std::string("CSeq: 1 +\r\n\r\n")}) {
    Msg msg = received(text, "udp");
    if (!msg) continue;
    sip_t* sip = sip_object(msg.get());
    EXPECT_TRUE(sip == nullptr || sip->sip_request == nullptr ||
                msg_get_flags(msg.get(), MSG_FLG_ERROR) != 0)
        << text;
  }
}

}  // namespace
}  // namespace callmesh::ingress
