// Forwarding the received request itself (sip_forwarding.h, ForwardFrom::Received) through a real
// NTA agent on loopback UDP: the phone gets byte for byte what a copy would have given it, and
// the caller's transaction still answers from its own copies (our Via never reaches the caller),
// a CANCEL of the branch still names our branch, and a refusal after a half-made forward is still
// the caller's.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "services/ingress/loopback_udp_test_socket.h"
#include "services/ingress/sip_forwarding.h"
#include "services/ingress/sip_message_class.h"
#include "services/ingress/sofia.h"

namespace callmesh::ingress {
namespace {

using Udp = LoopbackUdp;

// One NTA agent as the ingress makes it (not a UA, our message class), its new requests turned
// into server transactions and kept for the test.
class Proxy {
 public:
  Proxy() {
    su_init();
    root_ = su_root_create(nullptr);
    agent_ = nta_agent_create(root_, URL_STRING_MAKE("sip:127.0.0.1:*;transport=udp"),
                              &Proxy::onRequest, this, NTATAG_UA(0), NTATAG_CANCEL_487(1),
                              NTATAG_MCLASS(ingressMessageClass()), TAG_END());
    if (!agent_) return;
    // The port the UDP primary was bound to (the master transport's name keeps the "*").
    const tp_name_t* name = tport_name(tport_primaries(nta_agent_tports(agent_)));
    address_.sin_family = AF_INET;
    address_.sin_port = htons(static_cast<uint16_t>(std::stoi(name->tpn_port)));
    address_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    port_ = std::atoi(name->tpn_port);
  }
  ~Proxy() {
    for (nta_incoming_t* irq : arrived) nta_incoming_destroy(irq);
    if (agent_) nta_agent_destroy(agent_);
    if (root_) su_root_destroy(root_);
    su_deinit();
  }
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  nta_agent_t* agent() const { return agent_; }
  const sockaddr_in& address() const { return address_; }
  int port() const { return port_; }

  // Runs the agent until `socket` has a datagram starting with `start` (at most ~2 s; others,
  // such as retransmissions and 100 Trying, are passed over); returns it, or "".
  std::string receive(const Udp& socket, const std::string& start) {
    for (int i = 0; i < 100; ++i) {
      pollfd p{socket.fd, POLLIN, 0};
      while (::poll(&p, 1, 0) == 1) {
        char buf[8192];
        ssize_t n = ::recv(socket.fd, buf, sizeof buf, 0);
        std::string got = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
        if (got.rfind(start, 0) == 0) return got;
      }
      su_root_step(root_, 20);
    }
    return {};
  }
  // Runs the agent until a new server transaction exists.
  nta_incoming_t* nextTransaction(size_t had) {
    for (int i = 0; i < 100 && arrived.size() == had; ++i) su_root_step(root_, 20);
    return arrived.size() > had ? arrived.back() : nullptr;
  }

  std::vector<nta_incoming_t*> arrived;

 private:
  static int onRequest(void* self, nta_agent_t* agent, msg_t* msg, sip_t* sip) {
    nta_incoming_t* irq = nta_incoming_create(agent, nullptr, msg, sip, TAG_END());
    if (irq) static_cast<Proxy*>(self)->arrived.push_back(irq);
    return 0;
  }
  su_root_t* root_ = nullptr;
  nta_agent_t* agent_ = nullptr;
  sockaddr_in address_{};
  int port_ = 0;
};

int ignoreResponse(void*, nta_outgoing_t*, const sip_t*) { return 0; }

std::string invite(const Udp& caller, int proxy_port, const std::string& call_id) {
  return "INVITE sip:+15550100@127.0.0.1:" + std::to_string(proxy_port) +
         " SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 127.0.0.1:" +
         caller.port() + ";branch=z9hG4bK-caller-" + call_id +
         "\r\n"
         "Max-Forwards: 70\r\nFrom: <sip:+15550111@127.0.0.1>;tag=caller\r\n"
         "To: <sip:+15550100@127.0.0.1>\r\nCall-ID: " +
         call_id + "\r\nCSeq: 1 INVITE\r\nContact: <sip:+15550111@127.0.0.1:" + caller.port() +
         ">\r\nX-Callmesh-Path: +15550199\r\nX-Callmesh-Whisper: spoofed\r\n"
         "Content-Type: application/sdp\r\nContent-Length: 10\r\n\r\nv=0\r\ns=-\r\n";
}

// The phone's answer to `request`: its Via lines, From, To (with the phone's tag), Call-ID, CSeq.
std::string answerTo(const std::string& request, const std::string& status) {
  std::string out = "SIP/2.0 " + status + "\r\n";
  size_t at = 0;
  while (at < request.size()) {
    size_t end = request.find("\r\n", at);
    if (end == std::string::npos || end == at) break;
    std::string line = request.substr(at, end - at);
    for (const char* name : {"Via:", "From:", "Call-ID:", "CSeq:"}) {
      if (line.rfind(name, 0) == 0) out += line + "\r\n";
    }
    if (line.rfind("To:", 0) == 0) out += line + ";tag=phone\r\n";
    at = end + 2;
  }
  return out + "Content-Length: 0\r\n\r\n";
}

// What differs between two calls that are otherwise the same: branches and Call-IDs.
std::string normalised(std::string text, const std::string& call_id) {
  text = std::regex_replace(text, std::regex("branch=[^;\\r\\n]+"), "branch=B");
  return std::regex_replace(text, std::regex(call_id), "CALL");
}

// The hop the forwarding code is told it is: the agent's own address and port.
ProxyHop hopOf(const Proxy& proxy) { return ProxyHop{"127.0.0.1", "127.0.0.1", proxy.port(), 0}; }

// Forwards what arrived on `irq` to `phone` as a branch would; returns the branch.
nta_outgoing_t* forward(Proxy& proxy, nta_incoming_t* irq, const Udp& phone, ForwardFrom from) {
  int error = 0;
  std::string uri = "sip:phone@127.0.0.1:" + phone.port();
  msg_t* fwd =
      prepareForward(hopOf(proxy), irq, HeaderSource{false, false}, uri.c_str(), &error, from);
  EXPECT_NE(fwd, nullptr) << error;
  if (!fwd) return nullptr;
  insertRecordRoute(hopOf(proxy), fwd, "udp", "udp");
  nta_outgoing_t* orq = nta_outgoing_mcreate(proxy.agent(), ignoreResponse, nullptr,
                                             URL_STRING_MAKE(uri.c_str()), fwd, TAG_END());
  EXPECT_NE(orq, nullptr);
  return orq;
}

TEST(SipForwardingNta, TheReceivedInviteSentItselfIsWhatACopyWouldHaveSent) {
  Proxy proxy;
  ASSERT_NE(proxy.agent(), nullptr);
  Udp caller, phone;
  std::string sent[2];
  const char* call_ids[2] = {"fwd-copy", "fwd-itself"};
  for (int i = 0; i < 2; ++i) {
    caller.sendTo(proxy.address(), invite(caller, proxy.port(), call_ids[i]));
    nta_incoming_t* irq = proxy.nextTransaction(static_cast<size_t>(i));
    ASSERT_NE(irq, nullptr);
    nta_outgoing_t* orq =
        forward(proxy, irq, phone, i == 0 ? ForwardFrom::Copy : ForwardFrom::Received);
    sent[i] = proxy.receive(phone, "INVITE ");
    ASSERT_FALSE(sent[i].empty());
    nta_outgoing_destroy(orq);
  }
  EXPECT_EQ(normalised(sent[0], call_ids[0]), normalised(sent[1], call_ids[1])) << sent[1];
  // What the phone got: our Via over the caller's, the new Request-URI, one hop fewer, our
  // Record-Route, the caller's own control headers gone, the body intact.
  EXPECT_EQ(sent[1].rfind("INVITE sip:phone@127.0.0.1:" + phone.port() + " SIP/2.0\r\n", 0), 0u)
      << sent[1];
  std::string our_via = "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(proxy.port());
  std::string caller_via = "Via: SIP/2.0/UDP 127.0.0.1:" + caller.port();
  ASSERT_NE(sent[1].find(our_via), std::string::npos) << sent[1];
  EXPECT_LT(sent[1].find(our_via), sent[1].find(caller_via)) << sent[1];
  EXPECT_NE(sent[1].find("Max-Forwards: 69\r\n"), std::string::npos) << sent[1];
  EXPECT_NE(sent[1].find("Record-Route: <sip:127.0.0.1:" + std::to_string(proxy.port()) + ";lr>"),
            std::string::npos)
      << sent[1];
  EXPECT_EQ(sent[1].find("X-Callmesh"), std::string::npos) << sent[1];
  EXPECT_EQ(sent[1].substr(sent[1].size() - 14), "\r\n\r\nv=0\r\ns=-\r\n");
}

TEST(SipForwardingNta, TheCallerIsStillAnsweredFromItsTransactionAndTheBranchCancelled) {
  Proxy proxy;
  ASSERT_NE(proxy.agent(), nullptr);
  Udp caller, phone;
  caller.sendTo(proxy.address(), invite(caller, proxy.port(), "fwd-cancel"));
  nta_incoming_t* irq = proxy.nextTransaction(0);
  ASSERT_NE(irq, nullptr);
  nta_outgoing_t* orq = forward(proxy, irq, phone, ForwardFrom::Received);
  std::string invite_sent = proxy.receive(phone, "INVITE ");
  ASSERT_FALSE(invite_sent.empty());
  // NTA sends a CANCEL only once the branch has a provisional response.
  phone.sendTo(proxy.address(), answerTo(invite_sent, "180 Ringing"));
  std::smatch our_branch;
  ASSERT_TRUE(
      std::regex_search(invite_sent, our_branch,
                        std::regex("Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(proxy.port()) +
                                   ";branch=([^;\\r\\n]+)")));

  // The phone's ringing ends in a CANCEL carrying the INVITE's own top Via, and nothing else.
  nta_outgoing_cancel(orq);
  std::string cancel = proxy.receive(phone, "CANCEL ");
  EXPECT_EQ(cancel.rfind("CANCEL sip:phone@127.0.0.1:" + phone.port() + " SIP/2.0\r\n", 0), 0u)
      << cancel;
  EXPECT_NE(cancel.find("branch=" + our_branch[1].str()), std::string::npos) << cancel;
  EXPECT_EQ(cancel.find("Via: SIP/2.0/UDP 127.0.0.1:" + caller.port()), std::string::npos)
      << cancel;

  // The caller's answer: its own Via alone, its To with our tag, its CSeq.
  nta_incoming_treply(irq, 480, "Temporarily Unavailable", TAG_END());
  std::string answer = proxy.receive(caller, "SIP/2.0 4");
  EXPECT_EQ(answer.rfind("SIP/2.0 480 Temporarily Unavailable\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("Via: SIP/2.0/UDP 127.0.0.1:" + caller.port() + ";branch=z9hG4bK-caller"),
            std::string::npos)
      << answer;
  EXPECT_EQ(answer.find("127.0.0.1:" + std::to_string(proxy.port()) + ";branch"), std::string::npos)
      << answer;
  EXPECT_NE(answer.find("CSeq: 1 INVITE"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("X-Callmesh"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("Record-Route"), std::string::npos) << answer;
  nta_outgoing_destroy(orq);
}

TEST(SipForwardingNta, AHopTooManyIsRefusedFromTheTransactionEvenWhenSentItself) {
  Proxy proxy;
  ASSERT_NE(proxy.agent(), nullptr);
  Udp caller;
  std::string text = invite(caller, proxy.port(), "fwd-hops");
  text.replace(text.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  caller.sendTo(proxy.address(), text);
  nta_incoming_t* irq = proxy.nextTransaction(0);
  ASSERT_NE(irq, nullptr);
  int error = 0;
  EXPECT_EQ(prepareForward(hopOf(proxy), irq, HeaderSource{false, false}, "sip:x@127.0.0.1", &error,
                           ForwardFrom::Received),
            nullptr);
  EXPECT_EQ(error, 483);
  nta_incoming_treply(irq, 483, "Too Many Hops", TAG_END());
  std::string answer = proxy.receive(caller, "SIP/2.0 4");
  EXPECT_EQ(answer.rfind("SIP/2.0 483 Too Many Hops\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("Via: SIP/2.0/UDP 127.0.0.1:" + caller.port()), std::string::npos)
      << answer;
}

}  // namespace
}  // namespace callmesh::ingress
