#pragma once

#include <string_view>

// CM_BUG(cond, msg): a "can't happen" that must stay visible. In release builds it logs and counts
// (callmesh_bugs_total via the hook set by the service), then carries on; in debug builds it
// aborts.
namespace callmesh {
void reportBug(std::string_view file, int line, std::string_view message);
}  // namespace callmesh

#define CM_BUG(cond, msg)                               \
  do {                                                  \
    if (cond) {                                         \
      ::callmesh::reportBug(__FILE__, __LINE__, (msg)); \
    }                                                   \
  } while (false)
