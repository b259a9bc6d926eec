#include "services/notification/text_sender.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>

namespace callmesh::notification {

namespace {

std::string randomToken(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (size_t i = 0; i < n; ++i) out += kChars[rng() % 36];
  return out;
}

int64_t steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Closes the socket on every path.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<std::string> manualTextSender(const config::AgentNumbers& agent, std::string_view from) {
  if (from == "personal") {
    if (agent.personal_number.empty()) {
      return invalidInput("you have no personal number; send from \"company\"", "from");
    }
    return agent.personal_number;
  }
  if (from == "company") {
    if (agent.company_number.empty()) {
      return invalidInput("you have no company number assigned; send from \"personal\"", "from");
    }
    return agent.company_number;
  }
  return invalidInput("must be \"personal\" or \"company\"", "from");
}

Result<std::string> autoTextSender(const config::AgentNumbers& agent) {
  if (!agent.sender_id.empty()) return agent.sender_id;
  if (!agent.personal_number.empty()) return agent.personal_number;
  if (!agent.company_number.empty()) return agent.company_number;
  return invalidInput("the agent has no sender ID, personal number or company number", "agent");
}

std::string buildSipMessage(const std::string& from, const std::string& to, const std::string& body,
                            const std::string& gateway_hostport, const std::string& local_hostport,
                            const std::string& branch, const std::string& tag,
                            const std::string& call_id) {
  std::string m;
  m += "MESSAGE sip:" + to + "@" + gateway_hostport + " SIP/2.0\r\n";
  m += "Via: SIP/2.0/UDP " + local_hostport + ";branch=" + branch + ";rport\r\n";
  m += "Max-Forwards: 70\r\n";
  m += "From: <sip:" + from + "@" + local_hostport + ">;tag=" + tag + "\r\n";
  m += "To: <sip:" + to + "@" + gateway_hostport + ">\r\n";
  m += "Call-ID: " + call_id + "\r\n";
  m += "CSeq: 1 MESSAGE\r\n";
  m += "Content-Type: text/plain;charset=UTF-8\r\n";
  m += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  m += body;
  return m;
}

int responseStatusFor(std::string_view d, std::string_view branch) {
  if (d.substr(0, 8) != "SIP/2.0 " || d.size() < 11) return 0;
  if (d.find("branch=" + std::string(branch)) == std::string_view::npos) return 0;
  int status = 0;
  for (size_t i = 8; i < 11; ++i) {
    if (d[i] < '0' || d[i] > '9') return 0;
    status = status * 10 + (d[i] - '0');
  }
  return status >= 200 && status <= 699 ? status : (status >= 100 ? -status : 0);
}

Result<int> SipMessageSender::send(const std::string& from, const std::string& to,
                                   const std::string& body) {
  std::string ctx = "SIP MESSAGE to gateway " + host_ + ":" + std::to_string(port_);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &res) != 0 || !res) {
    return Error{ErrorKind::Disconnected, "cannot resolve the gateway", ctx};
  }
  Fd sock;
  sock.fd = ::socket(res->ai_family, SOCK_DGRAM, 0);
  int rc = sock.fd < 0 ? -1 : ::connect(sock.fd, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  if (rc != 0) return Error{ErrorKind::Disconnected, "cannot open a UDP socket", ctx};
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  ::getsockname(sock.fd, reinterpret_cast<sockaddr*>(&local), &len);
  char ip[INET6_ADDRSTRLEN] = {0};
  int local_port = 0;
  if (local.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&local);
    ::inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
    local_port = ntohs(a->sin6_port);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&local);
    ::inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
    local_port = ntohs(a->sin_port);
  }
  bool v6 = local.ss_family == AF_INET6;
  std::string local_hp =
      (v6 ? "[" + std::string(ip) + "]" : std::string(ip)) + ":" + std::to_string(local_port);
  std::string gw_hp = (host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) + ":" +
                      std::to_string(port_);
  std::string branch = "z9hG4bK" + randomToken(16);
  std::string msg = buildSipMessage(from, to, body, gw_hp, local_hp, branch, randomToken(10),
                                    randomToken(20) + "@callmesh");
  constexpr int kT1 = 500;
  constexpr int kT2 = 4000;
  int64_t start = steadyMs();
  int64_t deadline = start + max_wait_ms_;
  int interval = kT1;
  bool provisional = false;
  int64_t next_send = start;
  char buf[4096];
  while (true) {
    int64_t now = steadyMs();
    if (now >= deadline) break;
    if (now >= next_send) {
      (void)::send(sock.fd, msg.data(), msg.size(), 0);
      next_send = now + (provisional ? kT2 : interval);
      interval = std::min(interval * 2, kT2);
    }
    int wait = static_cast<int>(std::min(next_send, deadline) - now);
    pollfd p{sock.fd, POLLIN, 0};
    if (::poll(&p, 1, std::max(wait, 1)) <= 0) continue;
    ssize_t n = ::recv(sock.fd, buf, sizeof(buf), 0);
    if (n <= 0) continue;  // e.g. ICMP port unreachable: keep retransmitting until the deadline
    int status = responseStatusFor(std::string_view(buf, static_cast<size_t>(n)), branch);
    if (status > 0) return status;
    if (status < 0) provisional = true;
  }
  return Error{ErrorKind::Timeout,
               "no final response within " + std::to_string(max_wait_ms_) + " ms", ctx};
}

}  // namespace callmesh::notification
