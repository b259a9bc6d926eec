#pragma once

#include <sys/types.h>

namespace callmesh::runtime {

// getpid() without a system call (pid_cache.cpp). libzmq checks getpid() on every mailbox check
// and every frame it sends (to notice a fork), and glibc makes each one a real system call. On a
// paravirtualised guest a system call costs microseconds (12 us measured under load on the
// development box): that was a fifth of the ingress's and a quarter of the limiter's system calls
// per call. The executables define getpid themselves, so libzmq's calls land here; the value is
// read once and forgotten in a forked child (pthread_atfork). Called by installProcessSignals(),
// which links this in; returns the process id.
pid_t cachedPid();

}  // namespace callmesh::runtime
