// EventLoopStep against a real sofia su_root: what one turn of the ingress's loop waits for.
#include "services/ingress/event_loop_step.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

// Times this thread went to sleep on its own (blocked in a wait), from the kernel's count, less
// the sleeps that were page faults waiting on the disk: a cold code page of the library under
// a sanitizer on a busy CI box is a voluntary switch too, and says nothing about the loop.
long voluntarySwitches() {
  rusage usage{};
  if (getrusage(RUSAGE_THREAD, &usage) != 0) return -1;
  return usage.ru_nvcsw - usage.ru_majflt;
}

struct Loop {
  Loop() {
    su_init();
    auto before = EventLoopStep::epollDescriptors();
    root = su_root_create(nullptr);
    step = EventLoopStep::forRoot(root, before);
  }
  ~Loop() {
    if (timer) su_timer_destroy(timer);
    su_root_destroy(root);
    su_deinit();
  }
  void setTimer(su_duration_t ms, int* fired) {
    timer = su_timer_create(su_root_task(root), ms);
    su_timer_set(
        timer, [](void*, su_timer_t*, void* count) { ++*static_cast<int*>(count); }, fired);
  }
  void setTickForEver(su_duration_t ms, int* fired) {
    timer = su_timer_create(su_root_task(root), ms);
    su_timer_set_for_ever(
        timer, [](void*, su_timer_t*, void* count) { ++*static_cast<int*>(count); }, fired);
  }
  su_root_t* root = nullptr;
  su_timer_t* timer = nullptr;
  EventLoopStep step;
};

TEST(EventLoopStep, FindsTheEpollInstanceSofiaCreated) {
  Loop loop;
  EXPECT_GE(loop.step.epollFd(), 0);
}

// The loop's common case under load: a socket was ready, sofia served it, and its next timer is
// far away. The step must come back without a nap: sleeping a millisecond after every burst
// cost the ingress more than a wakeup per call (it returns 0 after I/O, the same value it gives
// for a timer under a millisecond away).
TEST(EventLoopStep, AStepThatServedASocketReturnsWithoutSleeping) {
  Loop loop;
  int fired = 0;
  loop.setTimer(5000, &fired);
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds), 0);
  su_wait_t w;
  ASSERT_EQ(su_wait_create(&w, fds[0], SU_WAIT_IN), 0);
  int served = 0;
  auto on_ready = [](void* count, su_wait_t*, void* fd) {
    char buf[16];
    (void)::read(*static_cast<int*>(fd), buf, sizeof buf);
    ++*static_cast<int*>(count);
    return 0;
  };
  int index = su_root_register(loop.root, &w, on_ready, fds, 0);
  ASSERT_GT(index, 0);
  // su_root's magic is the callback's first argument: point it at the counter.
  su_root_set_magic(loop.root, &served);
  // One served datagram first, unmeasured: the first turn through sofia's I/O path touches
  // code and memory for the first time.
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  loop.step.step(100);
  ASSERT_EQ(served, 1);
  ASSERT_EQ(::write(fds[1], "y", 1), 1);

  long before = voluntarySwitches();
  loop.step.step(100);
  long after = voluntarySwitches();
  EXPECT_EQ(served, 2);
  EXPECT_EQ(after - before, 0) << "the step slept after serving the socket";
  EXPECT_EQ(fired, 0);
  su_root_deregister(loop.root, index);
  ::close(fds[0]);
  ::close(fds[1]);
}

// sofia rounds the wait for its next timer down to whole milliseconds: left to itself it polls
// with timeout 0 until a timer under a millisecond away is due (about 25 turns). The step sleeps
// instead, so the timer fires within a couple of turns.
TEST(EventLoopStep, ATimerUnderAMillisecondAwayFiresWithinAFewSteps) {
  Loop loop;
  int fired = 0;
  loop.setTimer(1, &fired);
  int steps = 0;
  while (fired == 0 && steps < 100) {
    loop.step.step(100);
    ++steps;
  }
  EXPECT_EQ(fired, 1);
  EXPECT_LE(steps, 4);
}

// The ingress's 10 ms tick, alone: one sleep per tick. sofia's own wait is rounded down to whole
// milliseconds, so it woke just before each tick was due and slept again (three wakeups per two
// ticks, 150 a second for an idle ingress).
TEST(EventLoopStep, ATenMillisecondTickCostsOneSleepPerTick) {
  Loop loop;
  int fired = 0;
  loop.setTickForEver(10, &fired);
  long before = voluntarySwitches();
  for (int steps = 0; fired < 20 && steps < 200; ++steps) loop.step.step(100);
  long sleeps = voluntarySwitches() - before;
  EXPECT_GE(fired, 20);
  EXPECT_GE(sleeps, 10);  // a late wakeup on a busy machine fires two ticks at once
  EXPECT_LE(sleeps, 23);  // 20, and a few to spare
}

}  // namespace
}  // namespace callmesh::ingress
