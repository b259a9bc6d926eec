// sofia's datagram helpers, answered with one system call where sofia makes two (why: the
// header). The four extern "C" functions below have sofia's names and signatures (su.h): the
// ingress executable's definitions win over libsofia-sip-ua's in the dynamic linker's lookup, so
// sofia's transport lands here; for sockets not adopted they call sofia's own (RTLD_NEXT).
#include "services/ingress/sofia_datagrams.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "services/ingress/open_descriptors.h"
#include "services/ingress/sofia.h"

namespace callmesh::ingress::sofia_datagrams {
namespace {

// Each slot holds an adopted descriptor plus one, so that zero (constant-initialised before any
// code runs) means empty.
std::atomic<int> g_adopted[kMaxAdopted] = {};

struct AtomicCounters {
  std::atomic<uint64_t> sizes_read_ahead{0}, reads_from_buffer{0}, error_checks_skipped{0},
      sends_repeated{0}, empty_datagrams_dropped{0};
};
AtomicCounters g_counters;

void bump(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

// The datagram read ahead to learn its size, waiting for sofia's read that follows at once on
// the same thread (tport_recv_dgram: size, allocate, read).
struct ReadAhead {
  static constexpr size_t kCapacity = 65536;  // above any UDP payload (65,507 over IPv4)
  int fd = -1;
  size_t length = 0;
  sockaddr_storage from{};
  socklen_t from_length = 0;
  std::unique_ptr<char[]> bytes;
};
thread_local ReadAhead t_read_ahead;

template <typename Fn>
Fn sofiaOwn(const char* name) {
  // The next definition after the executable's: libsofia-sip-ua's.
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

using GetMsgSize = issize_t (*)(su_socket_t);
using SoError = int (*)(su_socket_t);
using VSend = issize_t (*)(su_socket_t, su_iovec_t const*, isize_t, int, su_sockaddr_t const*,
                           socklen_t);
using VRecv = issize_t (*)(su_socket_t, su_iovec_t*, isize_t, int, su_sockaddr_t*, socklen_t*);

GetMsgSize sofiaGetMsgSize() {
  static const GetMsgSize fn = sofiaOwn<GetMsgSize>("su_getmsgsize");
  return fn;
}
SoError sofiaSoError() {
  static const SoError fn = sofiaOwn<SoError>("su_soerror");
  return fn;
}
VSend sofiaVSend() {
  static const VSend fn = sofiaOwn<VSend>("su_vsend");
  return fn;
}
VRecv sofiaVRecv() {
  static const VRecv fn = sofiaOwn<VRecv>("su_vrecv");
  return fn;
}

// Reads the next datagram into this thread's buffer: its length, 0 when none is waiting, -1
// when sofia must be told (errno set). An empty datagram is dropped here (sofia drops it too,
// with one more read), and a read that returns an error the socket held from an ICMP report
// (with IP_RECVERR, the first read after it hands it over and forgets it) is tried again: the
// report itself stays in the error queue for sofia's error event.
issize_t readAhead(int fd) {
  ReadAhead& ahead = t_read_ahead;
  if (ahead.fd == fd) return static_cast<issize_t>(ahead.length);
  if (!ahead.bytes) ahead.bytes = std::make_unique<char[]>(ReadAhead::kCapacity);
  for (int attempt = 0; attempt < 4; ++attempt) {
    iovec vec{ahead.bytes.get(), ReadAhead::kCapacity};
    msghdr m{};
    m.msg_name = &ahead.from;
    m.msg_namelen = sizeof ahead.from;
    m.msg_iov = &vec;
    m.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd, &m, MSG_DONTWAIT);
    if (n > 0) {
      ahead.fd = fd;
      ahead.length = static_cast<size_t>(n);
      ahead.from_length = m.msg_namelen;
      bump(g_counters.sizes_read_ahead);
      return n;
    }
    if (n == 0) {
      bump(g_counters.empty_datagrams_dropped);
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;  // FIONREAD would say 0 too
    if (errno != EINTR && attempt > 0) return -1;
  }
  return 0;
}

}  // namespace

std::vector<int> udpSocketsOpenedSince(const std::vector<int>& before, int port) {
  std::vector<int> udp;
  for (int fd : openedSince(before, openDescriptors())) {
    int type = 0, protocol = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM) continue;
    len = sizeof protocol;
    if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0) continue;
    if (protocol != IPPROTO_UDP) continue;
    sockaddr_storage local{};
    len = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) continue;
    // sin_port and sin6_port sit at the same offset.
    int bound = ntohs(reinterpret_cast<const sockaddr_in&>(local).sin_port);
    if (port == 0 || bound == port) udp.push_back(fd);
  }
  return udp;
}

bool adopt(int fd) {
  if (fd < 0) return false;
  if (adopted(fd)) return true;
  for (auto& slot : g_adopted) {
    int empty = 0;
    if (slot.compare_exchange_strong(empty, fd + 1)) return true;
  }
  return false;
}

void forget(int fd) {
  for (auto& slot : g_adopted) {
    int expected = fd + 1;
    (void)slot.compare_exchange_strong(expected, 0);
  }
  if (t_read_ahead.fd == fd) t_read_ahead.fd = -1;
}

bool adopted(int fd) {
  if (fd < 0) return false;
  for (const auto& slot : g_adopted)
    if (slot.load(std::memory_order_relaxed) == fd + 1) return true;
  return false;
}

Counters counters() {
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  return {get(g_counters.sizes_read_ahead), get(g_counters.reads_from_buffer),
          get(g_counters.error_checks_skipped), get(g_counters.sends_repeated),
          get(g_counters.empty_datagrams_dropped)};
}

}  // namespace callmesh::ingress::sofia_datagrams

namespace sd = callmesh::ingress::sofia_datagrams;

extern "C" issize_t su_getmsgsize(su_socket_t s) {
  if (!sd::adopted(s)) return sd::sofiaGetMsgSize()(s);
  return sd::readAhead(s);
}

extern "C" issize_t su_vrecv(su_socket_t s, su_iovec_t iov[], isize_t len, int flags,
                             su_sockaddr_t* su, socklen_t* sulen) {
  sd::ReadAhead& ahead = sd::t_read_ahead;
  if (ahead.fd != s || ahead.fd < 0) return sd::sofiaVRecv()(s, iov, len, flags, su, sulen);
  // Copied as recvmsg would: as much as the buffers hold, the address cut to its room.
  size_t copied = 0;
  for (isize_t i = 0; i < len && copied < ahead.length; ++i) {
    size_t n = std::min<size_t>(iov[i].siv_len, ahead.length - copied);
    std::memcpy(iov[i].siv_base, ahead.bytes.get() + copied, n);
    copied += n;
  }
  if (su != nullptr && sulen != nullptr) {
    std::memcpy(su, &ahead.from, std::min<socklen_t>(*sulen, ahead.from_length));
    *sulen = ahead.from_length;
  }
  ahead.fd = -1;
  sd::bump(sd::g_counters.reads_from_buffer);
  return static_cast<issize_t>(copied);
}

extern "C" int su_soerror(su_socket_t s) {
  if (!sd::adopted(s)) return sd::sofiaSoError()(s);
  // sofia calls it on a UDP socket only to clear a pending error before a send (tport_send_dgram;
  // its error event reads the error queue instead): su_vsend below deals with that error.
  sd::bump(sd::g_counters.error_checks_skipped);
  return 0;
}

extern "C" issize_t su_vsend(su_socket_t s, su_iovec_t const iov[], isize_t len, int flags,
                             su_sockaddr_t const* su, socklen_t sulen) {
  issize_t n = sd::sofiaVSend()(s, iov, len, flags, su, sulen);
  if (n >= 0 || !sd::adopted(s)) return n;
  // A full socket buffer is sofia's to queue; anything else may be an earlier datagram's ICMP
  // report, which the kernel gave this send and has now forgotten: this datagram goes once more.
  if (errno == EAGAIN || errno == EWOULDBLOCK) return n;
  sd::bump(sd::g_counters.sends_repeated);
  return sd::sofiaVSend()(s, iov, len, flags, su, sulen);
}
