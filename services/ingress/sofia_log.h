#pragma once

#include "shared/log/logger.h"

namespace callmesh::ingress {

// Sends sofia-sip's own log output (su_log: its default log and the nta, tport and sresolv logs)
// through `log` as one JSON line per message ({"event":"sofia_log","message":...}), instead of
// raw text on stderr among the JSON lines. `log` must outlive the redirection: undo it with
// stopRoutingSofiaLogs() before it goes.
void routeSofiaLogs(Logger& log);
void stopRoutingSofiaLogs();

}  // namespace callmesh::ingress
