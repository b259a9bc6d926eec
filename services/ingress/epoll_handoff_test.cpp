// The handover of one epoll_wait's events to the next call on the same thread and instance.
#include "services/ingress/epoll_handoff.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

struct Epoll {
  Epoll() : fd(epoll_create1(EPOLL_CLOEXEC)) {}
  ~Epoll() { ::close(fd); }
  int fd;
};

epoll_event event(uint32_t index) {
  epoll_event e{};
  e.events = EPOLLIN;
  e.data.u32 = index;
  return e;
}

TEST(EpollHandoff, TheNextWaitOnTheInstanceGetsTheEventsWithoutWaiting) {
  Epoll sofias;
  epoll_event found[2] = {event(3), event(7)};
  uint64_t before = epoll_handoff::answeredFromHandover();
  epoll_handoff::handOver(sofias.fd, found, 2);
  epoll_event got[4];
  // Nothing is registered on the instance: a real wait of 10 s would block the test.
  ASSERT_EQ(epoll_wait(sofias.fd, got, 4, 10000), 2);
  EXPECT_EQ(got[0].data.u32, 3u);
  EXPECT_EQ(got[1].data.u32, 7u);
  EXPECT_EQ(epoll_handoff::answeredFromHandover() - before, 1u);
  EXPECT_EQ(epoll_wait(sofias.fd, got, 4, 0), 0) << "taken once only";
}

TEST(EpollHandoff, NothingReadyIsHandedOverToo) {
  Epoll sofias;
  epoll_handoff::handOver(sofias.fd, nullptr, 0);
  epoll_event got[4];
  EXPECT_EQ(epoll_wait(sofias.fd, got, 4, 10000), 0);
}

TEST(EpollHandoff, ACallerAskingForFewerGetsTheFirstOnes) {
  Epoll sofias;
  epoll_event found[3] = {event(1), event(2), event(3)};
  epoll_handoff::handOver(sofias.fd, found, 3);
  epoll_event got[1];
  ASSERT_EQ(epoll_wait(sofias.fd, got, 1, 0), 1);
  EXPECT_EQ(got[0].data.u32, 1u);
}

// libzmq's I/O threads wait on instances of their own, on other threads: never answered from a
// handover, and the handover stays for the call it was meant for.
TEST(EpollHandoff, OtherInstancesAndOtherThreadsWaitForReal) {
  Epoll sofias, zmqs;
  int ready = eventfd(1, EFD_CLOEXEC);
  epoll_event reg = event(42);
  ASSERT_EQ(epoll_ctl(zmqs.fd, EPOLL_CTL_ADD, ready, &reg), 0);
  epoll_event found[1] = {event(9)};
  epoll_handoff::handOver(sofias.fd, found, 1);

  epoll_event got[4];
  ASSERT_EQ(epoll_wait(zmqs.fd, got, 4, 0), 1);
  EXPECT_EQ(got[0].data.u32, 42u);
  int other_thread = -2;
  std::thread([&] { other_thread = epoll_wait(sofias.fd, got, 4, 0); }).join();
  EXPECT_EQ(other_thread, 0);
  ASSERT_EQ(epoll_wait(sofias.fd, got, 4, 0), 1);
  EXPECT_EQ(got[0].data.u32, 9u);
  ::close(ready);
}

TEST(EpollHandoff, AWithdrawnHandoverIsNeverTaken) {
  Epoll sofias;
  epoll_event found[1] = {event(5)};
  epoll_handoff::handOver(sofias.fd, found, 1);
  epoll_handoff::withdraw();
  epoll_event got[4];
  EXPECT_EQ(epoll_wait(sofias.fd, got, 4, 0), 0);
}

}  // namespace
}  // namespace callmesh::ingress
