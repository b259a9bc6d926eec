#pragma once

// A UDP socket bound to an ephemeral loopback port, for tests that play a SIP peer of the
// ingress's sofia stack (sofia_datagrams_test.cpp, sip_forwarding_nta_test.cpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace callmesh::ingress {

struct LoopbackUdp {
  LoopbackUdp() {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  }
  ~LoopbackUdp() { ::close(fd); }
  LoopbackUdp(const LoopbackUdp&) = delete;
  LoopbackUdp& operator=(const LoopbackUdp&) = delete;

  std::string port() const { return std::to_string(ntohs(addr.sin_port)); }
  void sendTo(const sockaddr_in& to, const std::string& bytes) const {
    ASSERT_EQ(::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                       sizeof to),
              static_cast<ssize_t>(bytes.size()));
  }
  bool readable(int timeout_ms) const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
  }

  int fd = -1;
  sockaddr_in addr{};
};

}  // namespace callmesh::ingress
