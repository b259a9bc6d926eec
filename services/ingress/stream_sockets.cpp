#include "services/ingress/stream_sockets.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <functional>

namespace callmesh::ingress {

namespace {

int portOf(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port)
                                 : ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
}

std::string hostOf(const sockaddr_storage& a) {
  char host[INET6_ADDRSTRLEN] = {0};
  const void* raw =
      a.ss_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in&>(a).sin_addr);
  if (!inet_ntop(a.ss_family, raw, host, sizeof(host))) return {};
  return host;
}

bool inPorts(const sockaddr_storage& local, const std::vector<int>& ports) {
  return std::find(ports.begin(), ports.end(), portOf(local)) != ports.end();
}

// Calls `visit(fd, local address)` for every stream socket of this process.
void forEachStreamSocket(const std::function<void(int, const sockaddr_storage&)>& visit) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  const int dir_fd = dirfd(dir);
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long n = std::strtol(e->d_name, &end, 10);
    if (!end || *end != '\0' || n < 0 || n == dir_fd) continue;
    const int fd = static_cast<int>(n);
    int type = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) continue;
    sockaddr_storage local{};
    socklen_t local_len = sizeof(local);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    visit(fd, local);
  }
  closedir(dir);
}

}  // namespace

std::vector<int> listeningSockets(const std::vector<int>& ports) {
  std::vector<int> out;
  forEachStreamSocket([&](int fd, const sockaddr_storage& local) {
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) return;
    if (inPorts(local, ports)) out.push_back(fd);
  });
  return out;
}

std::vector<OpenConnection> inboundConnections(const std::vector<int>& ports) {
  std::vector<OpenConnection> out;
  forEachStreamSocket([&](int fd, const sockaddr_storage& local) {
    if (!inPorts(local, ports)) return;
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof(peer);
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) return;
    std::string host = hostOf(peer);
    if (!host.empty()) out.push_back({fd, std::move(host), portOf(peer)});
  });
  return out;
}

std::string peerAddress(int fd) {
  sockaddr_storage peer{};
  socklen_t len = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return {};
  return hostOf(peer);
}

}  // namespace callmesh::ingress
