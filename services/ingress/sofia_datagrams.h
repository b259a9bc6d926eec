#pragma once

#include <cstdint>
#include <vector>

namespace callmesh::ingress::sofia_datagrams {

// sofia-sip 1.12's UDP transport makes two system calls per datagram where one does, and on a
// paravirtualised guest every system call is a trip through the hypervisor (about 12 us under
// load, docs/bench/kamailio.md):
//  - to receive, it asks the kernel the size of the next datagram (`su_getmsgsize`, an
//    ioctl(FIONREAD)) to allocate exactly that much, then reads it (`su_vrecv`, recvmsg);
//  - before every send it clears the socket's pending error (`su_soerror`, getsockopt(SO_ERROR)),
//    so an ICMP report about an earlier datagram cannot fail this one, then sends (`su_vsend`).
// sofia calls these four helpers of its own through the dynamic linker, so the ingress executable
// defines them (sofia_datagrams.cpp) and answers for the UDP sockets adopted here:
//  - the size is learnt by reading the datagram itself into a buffer of this thread, and the read
//    that follows is served from that buffer: one recvmsg per datagram;
//  - the error is not cleared in advance: a send that fails is sent once more (the kernel hands a
//    pending error to the first send after it and forgets it, so the second one is this
//    datagram's own verdict). The same outcome as sofia's, without a system call per send.
// Every other socket (TCP, TLS, anything not adopted) goes to sofia's own functions unchanged.

// The UDP sockets opened since `before` (openDescriptors() of open_descriptors.h, taken just
// before the NTA agent is created) and bound to local port `port` (0: any): sofia's
// transports, bound by nta_agent_create. The port keeps out a socket another thread opened
// meanwhile (its number could later be reused by a TCP socket of sofia's).
std::vector<int> udpSocketsOpenedSince(const std::vector<int>& before, int port = 0);

// At most kMaxAdopted sockets (an ingress has one or two: IPv4 and IPv6); beyond that, false.
inline constexpr int kMaxAdopted = 8;
bool adopt(int fd);
// Before the socket is closed (the agent destroyed): the number may be reused for anything.
void forget(int fd);
bool adopted(int fd);

// What the shortcuts did, for tests and the bench.
struct Counters {
  uint64_t sizes_read_ahead = 0;      // su_getmsgsize answered by reading the datagram
  uint64_t reads_from_buffer = 0;     // su_vrecv answered from that read
  uint64_t error_checks_skipped = 0;  // su_soerror answered without a system call
  uint64_t sends_repeated = 0;        // sends that failed and went once more
  uint64_t empty_datagrams_dropped = 0;
};
Counters counters();

}  // namespace callmesh::ingress::sofia_datagrams
