#pragma once

#include <atomic>

namespace callmesh::runtime {

// Flags raised by SIGTERM/SIGINT (stop) and SIGHUP (reload). Signal handlers can only touch
// lock-free atomics, so this is the one process-wide state we keep; loops poll the flags.
struct ProcessSignals {
  std::atomic<bool> stop{false};
  std::atomic<bool> reload{false};
};

// Installs the handlers once and returns the flags they raise.
ProcessSignals& installProcessSignals();

}  // namespace callmesh::runtime
