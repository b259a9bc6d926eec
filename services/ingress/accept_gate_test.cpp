// Connection bounds at accept (issue 21 item 1: TCP and TLS connections bounded per source and in
// total): the ledger's counts, and the interposed accept()/close() on a real loopback listener.
#include "services/ingress/accept_gate.h"
#include "services/ingress/stream_sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace callmesh::ingress {
namespace {

config::ConnectionBoundSettings bounds(int total, int per_source) {
  config::ConnectionBoundSettings s;
  s.max_connections = total;
  s.max_connections_per_source = per_source;
  return s;
}

TEST(AcceptLedger, PerSourceBoundRefusesTheNextConnectionOfThatSourceOnly) {
  AcceptLedger ledger(bounds(100, 2));
  EXPECT_EQ(ledger.admit(10, "192.0.2.1"), nullptr);
  EXPECT_EQ(ledger.admit(11, "192.0.2.1"), nullptr);
  EXPECT_STREQ(ledger.admit(12, "192.0.2.1"), "per_source");
  EXPECT_EQ(ledger.admit(13, "192.0.2.2"), nullptr);  // another source is not affected
  EXPECT_FALSE(ledger.holds(12));
  EXPECT_EQ(ledger.openFrom("192.0.2.1"), 2u);
  // One closes: the source may connect again.
  ledger.closed(10);
  EXPECT_EQ(ledger.admit(14, "192.0.2.1"), nullptr);
  EXPECT_EQ(ledger.open(), 3u);
}

TEST(AcceptLedger, TotalBoundCountsEverySource) {
  AcceptLedger ledger(bounds(3, 2));
  EXPECT_EQ(ledger.admit(10, "192.0.2.1"), nullptr);
  EXPECT_EQ(ledger.admit(11, "192.0.2.2"), nullptr);
  EXPECT_EQ(ledger.admit(12, "192.0.2.3"), nullptr);
  EXPECT_STREQ(ledger.admit(13, "192.0.2.4"), "total");
  // A descriptor number seen again was closed behind the ledger's back: the new one replaces it.
  EXPECT_EQ(ledger.admit(10, "192.0.2.1"), nullptr);
  EXPECT_EQ(ledger.open(), 3u);
  EXPECT_EQ(ledger.openFrom("192.0.2.1"), 1u);
}

TEST(AcceptLedger, ReconcileTakesTheSweepsListAsTheTruth) {
  AcceptLedger ledger(bounds(100, 2));
  EXPECT_EQ(ledger.admit(10, "192.0.2.1"), nullptr);
  EXPECT_EQ(ledger.admit(11, "192.0.2.1"), nullptr);
  // fd 10 was closed by a path the ledger did not see; the sweep lists only fd 11 and fd 20.
  ledger.reconcile({{11, "192.0.2.1", 40001}, {20, "192.0.2.9", 40002}});
  EXPECT_FALSE(ledger.holds(10));
  EXPECT_EQ(ledger.openFrom("192.0.2.1"), 1u);
  EXPECT_EQ(ledger.admit(12, "192.0.2.1"), nullptr);
  ledger.closed(99);  // never counted: nothing changes
  EXPECT_EQ(ledger.open(), 3u);
}

// The interposed accept() on a real loopback listener: connections past the per-source bound are
// reset before the caller of accept() sees them; close() makes room again.
TEST(AcceptGate, RefusesPastTheBoundAtAcceptAndCountsCloses) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 16), 0);
  fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);
  ASSERT_EQ(listeningSockets({port}), std::vector<int>{listener});

  std::vector<std::string> refused;
  AcceptGate::install({listener}, bounds(100, 2), [&](const std::string& ip, const char* reason) {
    refused.push_back(ip + " " + reason);
  });
  std::vector<int> clients;
  for (int i = 0; i < 4; ++i) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    clients.push_back(c);
  }
  // The kernel has completed all four handshakes: accept until it has nothing more to give.
  std::vector<int> accepted;
  for (int i = 0; i < 8; ++i) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) break;
    int fd = accept(listener, nullptr, nullptr);
    if (fd >= 0) accepted.push_back(fd);
  }
  EXPECT_EQ(accepted.size(), 2u);
  EXPECT_EQ(refused, (std::vector<std::string>{"127.0.0.1 per_source", "127.0.0.1 per_source"}));
  EXPECT_EQ(AcceptGate::open(), 2u);
  // Closing one through close() (as sofia does) takes it off the ledger.
  close(accepted.back());
  accepted.pop_back();
  EXPECT_EQ(AcceptGate::open(), 1u);
  int again = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(again, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  clients.push_back(again);
  pollfd p{listener, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 2000), 1);
  int fd = accept(listener, nullptr, nullptr);
  EXPECT_GE(fd, 0);
  if (fd >= 0) accepted.push_back(fd);
  EXPECT_EQ(AcceptGate::open(), 2u);
  AcceptGate::uninstall();
  for (int c : clients) close(c);
  for (int a : accepted) close(a);
  close(listener);
}

}  // namespace
}  // namespace callmesh::ingress
