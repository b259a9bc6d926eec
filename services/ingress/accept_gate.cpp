#include "services/ingress/accept_gate.h"

#include "services/ingress/stream_sockets.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>

namespace callmesh::ingress {

const char* AcceptLedger::admit(int fd, const std::string& peer_ip) {
  // A descriptor number comes back only after close(): one still held is a leftover the ledger
  // missed (closed by a path it does not see); the new connection replaces it.
  closed(fd);
  if (openFrom(peer_ip) >= static_cast<size_t>(settings_.max_connections_per_source))
    return "per_source";
  if (by_fd_.size() >= static_cast<size_t>(settings_.max_connections)) return "total";
  count(fd, peer_ip);
  return nullptr;
}

void AcceptLedger::count(int fd, const std::string& peer_ip) {
  by_fd_.emplace(fd, peer_ip);
  ++per_source_[peer_ip];
}

void AcceptLedger::closed(int fd) {
  auto it = by_fd_.find(fd);
  if (it == by_fd_.end()) return;
  auto source = per_source_.find(it->second);
  if (source != per_source_.end() && --source->second == 0) per_source_.erase(source);
  by_fd_.erase(it);
}

void AcceptLedger::reconcile(const std::vector<OpenConnection>& open) {
  by_fd_.clear();
  per_source_.clear();
  for (const auto& c : open) count(c.fd, c.peer_ip);
}

size_t AcceptLedger::openFrom(const std::string& peer_ip) const {
  auto it = per_source_.find(peer_ip);
  return it == per_source_.end() ? 0 : it->second;
}

namespace {

// Process-wide by nature (symbol interposition), as in name_resolution_guard.cpp.
std::mutex g_mutex;                      // NOLINT
std::unique_ptr<AcceptLedger> g_ledger;  // NOLINT: under g_mutex
std::set<int> g_listeners;               // NOLINT: under g_mutex
AcceptGate::OnRefused g_on_refused;      // NOLINT: under g_mutex
std::atomic<bool> g_active{false};       // NOLINT: lets close() skip the lock when not installed

int realClose(int fd) { return static_cast<int>(::syscall(SYS_close, fd)); }

}  // namespace

void AcceptGate::install(const std::vector<int>& listen_fds,
                         const config::ConnectionBoundSettings& settings, OnRefused on_refused) {
  std::lock_guard lock(g_mutex);
  g_ledger = std::make_unique<AcceptLedger>(settings);
  g_listeners = std::set<int>(listen_fds.begin(), listen_fds.end());
  g_on_refused = std::move(on_refused);
  g_active = true;
}

void AcceptGate::uninstall() {
  std::lock_guard lock(g_mutex);
  g_active = false;
  g_ledger.reset();
  g_listeners.clear();
  g_on_refused = nullptr;
}

void AcceptGate::reconcile(const std::vector<OpenConnection>& open) {
  std::lock_guard lock(g_mutex);
  if (g_ledger) g_ledger->reconcile(open);
}

size_t AcceptGate::open() {
  std::lock_guard lock(g_mutex);
  return g_ledger ? g_ledger->open() : 0;
}

int gateAccept(int listen_fd, int fd) {
  if (!g_active.load(std::memory_order_acquire)) return fd;
  std::string ip = peerAddress(fd);
  const char* reason = nullptr;
  AcceptGate::OnRefused on_refused;
  {
    std::lock_guard lock(g_mutex);
    if (!g_ledger || !g_listeners.count(listen_fd)) return fd;
    reason = g_ledger->admit(fd, ip);
    if (reason) on_refused = g_on_refused;
  }
  if (!reason) return fd;
  // A reset, not a FIN: nothing of it lingers in TIME_WAIT on our side, and the peer sees at once
  // that it was refused.
  linger hard{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  realClose(fd);
  if (on_refused) on_refused(ip, reason);
  return -1;
}

void gateClose(int fd) {
  if (!g_active.load(std::memory_order_acquire)) return;
  std::lock_guard lock(g_mutex);
  if (g_ledger) g_ledger->closed(fd);
}

}  // namespace callmesh::ingress

namespace {

// One accept through the gate: the next connection it admits, or -1. When every connection
// waiting was refused, -1 with errno 0: sofia's tport_accept passes the errno to
// tport_error_report, which does nothing for 0 (the refusal is ours, counted and logged by us,
// not a fault of the listener for sofia to log).
template <typename Accept>
int acceptThroughGate(int listen_fd, sockaddr* addr, socklen_t* len, Accept real) {
  socklen_t room = len ? *len : 0;
  bool refused = false;
  for (;;) {
    if (len) *len = room;
    int fd = real(listen_fd, addr, len);
    if (fd < 0) {
      if (refused && (errno == EAGAIN || errno == EWOULDBLOCK)) errno = 0;
      return fd;
    }
    if (callmesh::ingress::gateAccept(listen_fd, fd) >= 0) return fd;
    refused = true;
    // A blocking listener would wait here for the next connection: give the refusal back.
    int flags = fcntl(listen_fd, F_GETFL);
    if (flags < 0 || !(flags & O_NONBLOCK)) {
      errno = 0;
      return -1;
    }
  }
}

}  // namespace

// Interposes libc's accept, accept4 and close for every library of the ingress process
// (sofia-sip's tport among them); only sofia's SIP listeners and their connections are touched.
extern "C" int accept(int fd, sockaddr* addr, socklen_t* len) {
  using Real = int (*)(int, sockaddr*, socklen_t*);
  static Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "accept"));
  return acceptThroughGate(fd, addr, len, real);
}

extern "C" int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  using Real = int (*)(int, sockaddr*, socklen_t*, int);
  static Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "accept4"));
  return acceptThroughGate(
      fd, addr, len, [flags](int l, sockaddr* a, socklen_t* n) { return real(l, a, n, flags); });
}

// The system call itself rather than dlsym's libc close: close() runs from the first moments of
// the process, before any lazy lookup could safely happen.
extern "C" int close(int fd) {
  callmesh::ingress::gateClose(fd);
  return static_cast<int>(::syscall(SYS_close, fd));
}
