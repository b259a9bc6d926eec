/* An LD_PRELOAD for clock_step_e2e_test.py: the process's wall clock (CLOCK_REALTIME through
 * clock_gettime, gettimeofday and time) moved by the offset in seconds written in the file named
 * by $CALLMESH_WALL_OFFSET_FILE (re-read every 20 ms); every other clock is the machine's.
 * Raw system calls and no allocation: the ingress links jemalloc, which reads the clock while it
 * starts, before any preloaded library is ready (libfaketime recursed there and gave up). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long raw_ns(clockid_t clock) {
  struct timespec ts;
  if (syscall(SYS_clock_gettime, clock, &ts) != 0) return 0;
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The offset, read at most every 20 ms of the monotonic clock. Racing threads may both read
 * the file; each stores a whole value. */
static long long offset_ns(void) {
  static long long cached_ns, read_at_ns = -1;
  long long now = raw_ns(CLOCK_MONOTONIC);
  long long read_at = __atomic_load_n(&read_at_ns, __ATOMIC_ACQUIRE);
  if (read_at >= 0 && now - read_at < 20000000LL) return __atomic_load_n(&cached_ns, __ATOMIC_RELAXED);
  long long offset = 0;
  const char* path = getenv("CALLMESH_WALL_OFFSET_FILE");
  int fd = path ? (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    char text[32];
    long n = syscall(SYS_read, fd, text, sizeof text - 1);
    syscall(SYS_close, fd);
    if (n > 0) {
      text[n] = '\0';
      offset = strtoll(text, NULL, 10) * 1000000000LL;
    }
  }
  __atomic_store_n(&cached_ns, offset, __ATOMIC_RELAXED);
  __atomic_store_n(&read_at_ns, now, __ATOMIC_RELEASE);
  return offset;
}

int clock_gettime(clockid_t clock, struct timespec* ts) {
  if (syscall(SYS_clock_gettime, clock, ts) != 0) return -1;
  if (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE) {
    long long ns = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec + offset_ns();
    ts->tv_sec = ns / 1000000000LL;
    ts->tv_nsec = ns % 1000000000LL;
  }
  return 0;
}

int gettimeofday(struct timeval* restrict tv, void* restrict tz) {
  (void)tz;
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
  tv->tv_sec = ts.tv_sec;  /* glibc declares tv nonnull */
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}

time_t time(time_t* out) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return (time_t)-1;
  if (out) *out = ts.tv_sec;
  return ts.tv_sec;
}
