#include "shared/media/ng_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace callmesh::media {

namespace {

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool parseAddress(const std::string& text, sockaddr_storage& out, socklen_t& len) {
  std::string host;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return false;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  int p = std::stoi(port);
  if (p < 1 || p > 65535) return false;
  std::memset(&out, 0, sizeof(out));
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(p));
    len = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(p));
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

}  // namespace

bool NgBreaker::allow(int64_t now_ms) {
  if (!open_) return true;
  if (now_ms - opened_ms_ < retry_after_ms_) return false;
  opened_ms_ = now_ms;  // this request is the probe; the next waits another period
  return true;
}

Result<NgClient> NgClient::open(const NgClientSettings& settings, uint64_t cookie_seed) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (!parseAddress(settings.address, addr, len))
    return invalidInput("not an IP:port", "media.rtpengine '" + settings.address + "'");
  int fd = ::socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Error{ErrorKind::Internal, std::strerror(errno), "ng socket"};
  // connect(): only datagrams from rtpengine's address reach us, and ICMP unreachable surfaces.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    int e = errno;
    ::close(fd);
    return Error{ErrorKind::Disconnected, std::strerror(e), "ng connect " + settings.address};
  }
  return NgClient(settings, fd, cookie_seed);
}

NgClient::NgClient(NgClientSettings settings, int fd, uint64_t cookie_seed)
    : settings_(std::move(settings)),
      fd_(fd),
      cookies_(cookie_seed),
      breaker_(settings_.retry_after_ms) {}

NgClient::NgClient(NgClient&& other) noexcept
    : settings_(std::move(other.settings_)),
      fd_(other.fd_),
      cookies_(std::move(other.cookies_)),
      breaker_(other.breaker_) {
  other.fd_ = -1;
}

NgClient::~NgClient() {
  if (fd_ >= 0) ::close(fd_);
}

Result<BValue> NgClient::request(std::string_view name, BDict command) {
  std::string context = "rtpengine " + std::string(name) + " at " + settings_.address;
  int64_t start = steadyMs();
  if (!breaker_.allow(start))
    return Error{ErrorKind::Disconnected, "not answering (waiting before the next probe)", context};
  command["command"] = BValue(std::string(name));
  std::string cookie = cookies_.next();
  std::string datagram = encodeNgRequest(cookie, command);
  int attempts = settings_.attempts < 1 ? 1 : settings_.attempts;
  int64_t interval = settings_.timeout_ms / attempts;
  if (interval < 1) interval = 1;
  int64_t deadline = start + settings_.timeout_ms;
  int64_t next_send = start;
  int sent = 0;
  char buf[65536];
  for (;;) {
    int64_t now = steadyMs();
    if (sent < attempts && now >= next_send) {
      if (::send(fd_, datagram.data(), datagram.size(), 0) < 0 && errno != EAGAIN &&
          errno != EWOULDBLOCK) {
        int e = errno;
        breaker_.failed(now);
        return Error{ErrorKind::Disconnected, std::strerror(e), context};
      }
      ++sent;
      next_send = now + interval;
    }
    if (now >= deadline) break;
    int64_t wake = sent < attempts ? std::min(next_send, deadline) : deadline;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, wake - now)));
    if (ready <= 0) continue;
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      int e = errno;
      breaker_.failed(steadyMs());
      return Error{ErrorKind::Disconnected,
                   e == ECONNREFUSED ? "connection refused (not running?)" : std::strerror(e),
                   context};
    }
    auto reply = parseNgReply(std::string_view(buf, static_cast<size_t>(n)));
    // A malformed datagram or the late reply to an abandoned request: not ours, keep waiting.
    if (!reply.ok() || reply->cookie != cookie) continue;
    breaker_.succeeded();
    return ngOutcome(std::move(reply.value()), name);
  }
  breaker_.failed(steadyMs());
  return Error{ErrorKind::Timeout,
               "no answer within " + std::to_string(settings_.timeout_ms) + " ms (" +
                   std::to_string(sent) + " datagrams)",
               context};
}

}  // namespace callmesh::media
