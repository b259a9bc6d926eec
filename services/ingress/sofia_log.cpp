#include "services/ingress/sofia_log.h"

#include <cstdarg>
#include <cstdio>
#include <string>

#include "services/ingress/sofia.h"

// Not in sofia-sip's public headers, but exported by libsofia-sip-ua (and stable since 1.12).
extern "C" {
extern su_log_t nta_log[];
extern su_log_t tport_log[];
extern su_log_t sresolv_log[];
}

namespace callmesh::ingress {

namespace {

// Sofia writes one message in several calls (a prefix, then the text ending in a newline): the
// pieces are gathered per thread and logged when the line is complete.
void toLogger(void* stream, char const* fmt, va_list ap) {
  thread_local std::string line;
  char piece[1024];
  int n = std::vsnprintf(piece, sizeof(piece), fmt, ap);
  if (n < 0) return;
  line.append(piece,
              static_cast<size_t>(n) < sizeof(piece) ? static_cast<size_t>(n) : sizeof(piece) - 1);
  if (line.empty() || line.back() != '\n') return;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (!line.empty()) static_cast<Logger*>(stream)->warn("sofia_log", {{"message", line}});
  line.clear();
}

su_log_t* routedLogs[] = {su_log_default, nta_log, tport_log, sresolv_log};

}  // namespace

void routeSofiaLogs(Logger& log) {
  for (su_log_t* l : routedLogs) su_log_redirect(l, toLogger, &log);
}

void stopRoutingSofiaLogs() {
  for (su_log_t* l : routedLogs) su_log_redirect(l, nullptr, nullptr);
}

}  // namespace callmesh::ingress
