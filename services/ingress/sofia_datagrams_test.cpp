// sofia's datagram helpers as the ingress answers them (sofia_datagrams.h), on real loopback UDP
// sockets, and sofia's own transport landing in them (an NTA agent answering an OPTIONS).
#include "services/ingress/sofia_datagrams.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "services/ingress/epoll_handoff.h"
#include "services/ingress/event_loop_step.h"
#include "services/ingress/loopback_udp_test_socket.h"
#include "services/ingress/open_descriptors.h"
#include "services/ingress/sofia.h"

namespace callmesh::ingress {
namespace {

// A loopback socket the test may have handed to sofia_datagrams: forgotten before it closes.
struct Udp : LoopbackUdp {
  ~Udp() { sofia_datagrams::forget(fd); }
};

// A loopback port nobody listens on: sending there draws an ICMP port-unreachable.
sockaddr_in deadPort() {
  Udp gone;
  sockaddr_in addr = gone.addr;
  return addr;  // closed when `gone` goes
}

// `socket` set up as sofia sets its UDP sockets (IP_RECVERR), adopted, and holding the ICMP
// port-unreachable report for a datagram it sent to a dead port.
void adoptWithIcmpReportPending(const Udp& socket) {
  int one = 1;
  ASSERT_EQ(setsockopt(socket.fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one), 0);
  ASSERT_TRUE(sofia_datagrams::adopt(socket.fd));
  socket.sendTo(deadPort(), "x");
  pollfd p{socket.fd, 0, 0};
  ASSERT_EQ(::poll(&p, 1, 1000), 1);
  ASSERT_TRUE(p.revents & POLLERR);
}

TEST(SofiaDatagrams, AnAdoptedSocketIsSizedByReadingTheDatagramAndReadFromThatCopy) {
  Udp ingress, peer;
  ASSERT_TRUE(sofia_datagrams::adopt(ingress.fd));
  const std::string invite = "INVITE sip:+15550100@127.0.0.1 SIP/2.0\r\n";  // 40 bytes
  peer.sendTo(ingress.addr, invite);
  ASSERT_TRUE(ingress.readable(1000));
  auto before = sofia_datagrams::counters();

  issize_t size = su_getmsgsize(ingress.fd);
  ASSERT_EQ(size, 40);
  EXPECT_FALSE(ingress.readable(0)) << "the size was learnt by reading the datagram";
  EXPECT_EQ(su_getmsgsize(ingress.fd), 40) << "asked again, the same datagram";

  char buf[40];
  su_iovec_t iov[2] = {{buf, 10}, {buf + 10, 30}};
  su_sockaddr_t from{};
  socklen_t from_len = sizeof from;
  ASSERT_EQ(su_vrecv(ingress.fd, iov, 2, 0, &from, &from_len), 40);
  EXPECT_EQ(std::string(buf, 40), invite);
  EXPECT_EQ(from_len, static_cast<socklen_t>(sizeof(sockaddr_in)));
  EXPECT_EQ(from.su_sin.sin_port, peer.addr.sin_port);
  EXPECT_EQ(from.su_sin.sin_addr.s_addr, peer.addr.sin_addr.s_addr);

  auto after = sofia_datagrams::counters();
  EXPECT_EQ(after.sizes_read_ahead - before.sizes_read_ahead, 1u);
  EXPECT_EQ(after.reads_from_buffer - before.reads_from_buffer, 1u);
  EXPECT_EQ(su_getmsgsize(ingress.fd), 0) << "nothing waiting: 0, as FIONREAD says";
}

// sofia drops an empty datagram with a read of its own; the read ahead drops it and sizes the
// next one, so that read never takes the following datagram.
TEST(SofiaDatagrams, AnEmptyDatagramIsDroppedAndTheNextOneSized) {
  Udp ingress, peer;
  ASSERT_TRUE(sofia_datagrams::adopt(ingress.fd));
  peer.sendTo(ingress.addr, "");
  peer.sendTo(ingress.addr, "OPTIONS");
  ASSERT_TRUE(ingress.readable(1000));
  auto before = sofia_datagrams::counters();
  EXPECT_EQ(su_getmsgsize(ingress.fd), 7);
  EXPECT_EQ(sofia_datagrams::counters().empty_datagrams_dropped - before.empty_datagrams_dropped,
            1u);
  char buf[7];
  su_iovec_t iov{buf, sizeof buf};
  EXPECT_EQ(su_vrecv(ingress.fd, &iov, 1, 0, nullptr, nullptr), 7);
  EXPECT_EQ(std::string(buf, 7), "OPTIONS");
}

// The ICMP report for an earlier datagram (sofia's sockets have IP_RECVERR) fails the first read
// after it, once; the datagram behind it is still read.
TEST(SofiaDatagrams, AReadAfterAnIcmpReportStillReturnsTheDatagram) {
  Udp ingress, peer;
  ASSERT_NO_FATAL_FAILURE(adoptWithIcmpReportPending(ingress));
  peer.sendTo(ingress.addr, "BYE");
  EXPECT_EQ(su_getmsgsize(ingress.fd), 3);
}

// sofia clears the socket's pending error before every send (getsockopt(SO_ERROR)), so that an
// ICMP report about an earlier datagram does not fail this one. The adopted socket skips that
// call; the send the report fails goes once more, and the peer gets the datagram exactly once.
TEST(SofiaDatagrams, ASendAfterAnIcmpReportGoesOutExactlyOnce) {
  Udp ingress, peer;
  ASSERT_NO_FATAL_FAILURE(adoptWithIcmpReportPending(ingress));
  auto before = sofia_datagrams::counters();

  EXPECT_EQ(su_soerror(ingress.fd), 0);
  char text[] = "SIP/2.0 200 OK\r\n";
  su_iovec_t iov{text, sizeof text - 1};
  su_sockaddr_t to{};
  std::memcpy(&to, &peer.addr, sizeof peer.addr);
  EXPECT_EQ(su_vsend(ingress.fd, &iov, 1, MSG_NOSIGNAL, &to, sizeof peer.addr),
            static_cast<issize_t>(sizeof text - 1));

  auto after = sofia_datagrams::counters();
  EXPECT_EQ(after.error_checks_skipped - before.error_checks_skipped, 1u);
  EXPECT_EQ(after.sends_repeated - before.sends_repeated, 1u);
  ASSERT_TRUE(peer.readable(1000));
  char got[64];
  EXPECT_EQ(::recv(peer.fd, got, sizeof got, MSG_DONTWAIT), static_cast<ssize_t>(sizeof text - 1));
  EXPECT_FALSE(peer.readable(50)) << "sent twice";
}

TEST(SofiaDatagrams, ASocketNotAdoptedGoesToSofiasOwnHelpers) {
  Udp other, peer;
  peer.sendTo(other.addr, "REGISTER");
  ASSERT_TRUE(other.readable(1000));
  auto before = sofia_datagrams::counters();
  EXPECT_EQ(su_getmsgsize(other.fd), 8);
  EXPECT_TRUE(other.readable(0)) << "FIONREAD does not read";
  EXPECT_EQ(su_soerror(other.fd), 0);
  auto after = sofia_datagrams::counters();
  EXPECT_EQ(after.sizes_read_ahead, before.sizes_read_ahead);
  EXPECT_EQ(after.error_checks_skipped, before.error_checks_skipped);
}

TEST(SofiaDatagrams, FindsTheUdpSocketsOpenedSinceAndForgetsThem) {
  auto before = openDescriptors();
  Udp a;
  int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
  auto found = sofia_datagrams::udpSocketsOpenedSince(before);
  ::close(tcp);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], a.fd);
  EXPECT_EQ(sofia_datagrams::udpSocketsOpenedSince(before, ntohs(a.addr.sin_port)), found);
  int other_port = ntohs(a.addr.sin_port) == 65535 ? 65534 : ntohs(a.addr.sin_port) + 1;
  EXPECT_TRUE(sofia_datagrams::udpSocketsOpenedSince(before, other_port).empty())
      << "a UDP socket on another port is not sofia's listener";
  ASSERT_TRUE(sofia_datagrams::adopt(a.fd));
  EXPECT_TRUE(sofia_datagrams::adopted(a.fd));
  sofia_datagrams::forget(a.fd);
  EXPECT_FALSE(sofia_datagrams::adopted(a.fd));
}

// sofia's own UDP transport calls the four helpers through the dynamic linker: an NTA agent
// answering an OPTIONS over UDP reads it and sends its 200 through this file's definitions, and
// its loop's second epoll_wait per wakeup is answered from the first (epoll_handoff.h).
TEST(SofiaDatagrams, SofiasTransportAndLoopLandInTheIngresssDefinitions) {
  su_init();
  auto epolls = EventLoopStep::epollDescriptors();
  su_root_t* root = su_root_create(nullptr);
  ASSERT_NE(root, nullptr);
  EventLoopStep loop = EventLoopStep::forRoot(root, epolls);
  auto fds = openDescriptors();
  auto answer = [](nta_agent_magic_t*, nta_agent_t* agent, msg_t* msg, sip_t*) {
    nta_msg_treply(agent, msg, 200, "OK", TAG_END());
    return 0;
  };
  nta_agent_t* agent = nta_agent_create(root, URL_STRING_MAKE("sip:127.0.0.1:*;transport=udp"),
                                        answer, nullptr, NTATAG_UA(0), TAG_END());
  ASSERT_NE(agent, nullptr);
  auto udp = sofia_datagrams::udpSocketsOpenedSince(fds);
  ASSERT_EQ(udp.size(), 1u);
  ASSERT_TRUE(sofia_datagrams::adopt(udp[0]));
  sockaddr_in agent_addr{};
  socklen_t len = sizeof agent_addr;
  ASSERT_EQ(::getsockname(udp[0], reinterpret_cast<sockaddr*>(&agent_addr), &len), 0);

  Udp phone;
  std::string port = std::to_string(ntohs(phone.addr.sin_port));
  std::string options =
      "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + port +
      ";branch=z9hG4bK-dgram-1\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
      "Call-ID: dgram-1@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: "
      "0\r\n\r\n";
  auto before = sofia_datagrams::counters();
  uint64_t handed_before = epoll_handoff::answeredFromHandover();
  phone.sendTo(agent_addr, options);
  for (int i = 0; i < 50 && !phone.readable(0); ++i) loop.step(20);

  ASSERT_TRUE(phone.readable(0)) << "no answer from the agent";
  char reply[2048];
  ssize_t n = ::recv(phone.fd, reply, sizeof reply, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(reply, 15), "SIP/2.0 200 OK\r");
  auto after = sofia_datagrams::counters();
  EXPECT_GE(after.sizes_read_ahead - before.sizes_read_ahead, 1u);
  EXPECT_GE(after.reads_from_buffer - before.reads_from_buffer, 1u);
  EXPECT_GE(after.error_checks_skipped - before.error_checks_skipped, 1u);
  EXPECT_GE(epoll_handoff::answeredFromHandover() - handed_before, 1u);

  sofia_datagrams::forget(udp[0]);
  nta_agent_destroy(agent);
  su_root_destroy(root);
  su_deinit();
}

}  // namespace
}  // namespace callmesh::ingress
