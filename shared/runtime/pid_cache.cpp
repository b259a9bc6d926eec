#include "shared/runtime/pid_cache.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace {

std::atomic<pid_t> g_pid{0};

void forgetInChild() { g_pid.store(0, std::memory_order_relaxed); }

// Registered when this file is linked in, before main: a child of fork() asks the kernel again.
[[maybe_unused]] const int g_registered = pthread_atfork(nullptr, nullptr, forgetInChild);

}  // namespace

// Interposes glibc's getpid for the whole process (libzmq included): an executable's definition
// wins over the shared library's.
extern "C" pid_t getpid(void) {
  pid_t pid = g_pid.load(std::memory_order_relaxed);
  if (pid == 0) {
    pid = static_cast<pid_t>(::syscall(SYS_getpid));
    g_pid.store(pid, std::memory_order_relaxed);
  }
  return pid;
}

namespace callmesh::runtime {

pid_t cachedPid() { return getpid(); }

}  // namespace callmesh::runtime
