#include "shared/runtime/process_signals.h"

#include "shared/runtime/pid_cache.h"

#include <csignal>

namespace callmesh::runtime {

namespace {
ProcessSignals g_signals;  // NOLINT: written only by signal handlers

extern "C" void onStopSignal(int) { g_signals.stop.store(true); }
extern "C" void onReloadSignal(int) { g_signals.reload.store(true); }
}  // namespace

ProcessSignals& installProcessSignals() {
  (void)cachedPid();  // links the getpid cache into every service (pid_cache.h)
  struct sigaction stop_action {};
  stop_action.sa_handler = onStopSignal;
  sigemptyset(&stop_action.sa_mask);
  sigaction(SIGTERM, &stop_action, nullptr);
  sigaction(SIGINT, &stop_action, nullptr);
  struct sigaction reload_action {};
  reload_action.sa_handler = onReloadSignal;
  sigemptyset(&reload_action.sa_mask);
  sigaction(SIGHUP, &reload_action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return g_signals;
}

}  // namespace callmesh::runtime
