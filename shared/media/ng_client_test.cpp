// NgClient over real loopback UDP against a scripted peer on a kernel-chosen port: cookie matching
// (a stale reply is skipped), resends with the same cookie, timeout, the breaker, refusal.
#include "shared/media/ng_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace callmesh::media {
namespace {

// A UDP socket on 127.0.0.1:0 playing rtpengine.
struct Peer {
  int fd = -1;
  int port = 0;
  Peer() {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~Peer() { ::close(fd); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  // Receives one request; returns its text and who sent it.
  std::string receive(sockaddr_in& from) {
    char buf[65536];
    socklen_t len = sizeof(from);
    ssize_t n = ::recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  void send(const std::string& text, const sockaddr_in& to) {
    ::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to));
  }
};

std::string cookieOf(const std::string& request) { return request.substr(0, request.find(' ')); }

NgClient client(const std::string& address, int timeout_ms, int attempts) {
  NgClientSettings s;
  s.address = address;
  s.timeout_ms = timeout_ms;
  s.attempts = attempts;
  s.retry_after_ms = 60000;
  auto c = NgClient::open(s, 42);
  EXPECT_TRUE(c.ok());
  return std::move(c.value());
}

TEST(NgClient, SkipsAStaleReplyAndReturnsTheMatchingOne) {
  Peer peer;
  std::string seen;
  std::thread t([&] {
    sockaddr_in from{};
    seen = peer.receive(from);
    peer.send("stale_7 d6:result4:ponge", from);
    peer.send(cookieOf(seen) + " garbage", from);
    peer.send(cookieOf(seen) + " d6:result4:ponge", from);
  });
  NgClient c = client(peer.address(), 3000, 1);
  auto r = c.request("ping", {});
  t.join();
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->stringAt("result"), "pong");
  EXPECT_NE(seen.find("d7:command4:pinge"), std::string::npos) << seen;
}

TEST(NgClient, ResendsTheSameCookieUntilAnswered) {
  Peer peer;
  std::vector<std::string> seen;
  std::thread t([&] {
    sockaddr_in from{};
    seen.push_back(peer.receive(from));  // the first datagram is "lost"
    seen.push_back(peer.receive(from));
    peer.send(cookieOf(seen.back()) + " d6:result2:oke", from);
  });
  NgClient c = client(peer.address(), 4000, 4);
  auto r = c.request("offer", {{"call-id", "c1"}});
  t.join();
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], seen[1]);  // same cookie, same body: rtpengine answers it from its cache
}

TEST(NgClient, TimesOutThenFailsAtOnceWhileTheBreakerIsOpen) {
  Peer peer;  // never answers
  NgClient c = client(peer.address(), 50, 2);
  auto r = c.request("offer", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Timeout);
  EXPECT_NE(r.error().message.find("no answer within 50 ms"), std::string::npos);
  EXPECT_NE(r.error().context.find("rtpengine offer at " + peer.address()), std::string::npos);
  EXPECT_TRUE(c.breakerOpen());
  auto again = c.request("offer", {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::Disconnected);
  EXPECT_NE(again.error().message.find("not answering"), std::string::npos);
}

TEST(NgClient, ANotRunningPeerIsRefused) {
  int port = 0;
  {
    Peer gone;
    port = gone.port;
  }  // closed: ICMP port unreachable on loopback
  NgClient c = client("127.0.0.1:" + std::to_string(port), 2000, 2);
  auto r = c.request("ping", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Disconnected) << r.error().describe();
}

TEST(NgClient, AddressMustBeAnIpAndPort) {
  for (const char* bad : {"", "localhost:2223", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:x",
                          "127.0.0.1:99999", "[::1:2223"}) {
    NgClientSettings s;
    s.address = bad;
    auto c = NgClient::open(s, 1);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().kind, ErrorKind::InvalidInput);
  }
  NgClientSettings v6;
  v6.address = "[::1]:2223";
  EXPECT_TRUE(NgClient::open(v6, 1).ok());
}

}  // namespace
}  // namespace callmesh::media
