#include "services/ingress/dial_schedule.h"

namespace callmesh::ingress {

namespace {
bool isDtmfDigit(char c) {
  return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D');
}
}  // namespace

Result<std::vector<ScheduledDigit>> scheduleExtension(const std::string& extension, int tone_ms,
                                                      int gap_ms) {
  if (extension.size() > kMaxExtensionChars)
    return invalidInput("longer than " + std::to_string(kMaxExtensionChars) + " characters",
                        "extension digits");
  std::vector<ScheduledDigit> out;
  int64_t at = 0;  // when the next digit may start
  int waits = 0;   // `w`s since the last digit
  for (char raw : extension) {
    char c = (raw >= 'a' && raw <= 'd') ? static_cast<char>(raw - 'a' + 'A') : raw;
    if (c == 'w' || c == 'W') {
      ++waits;
      continue;
    }
    if (!isDtmfDigit(c))
      return invalidInput(std::string("'") + raw + "' is no DTMF digit or w", "extension digits");
    if (!out.empty())
      at += waits > 0 ? int64_t{waits} * kWaitMs : gap_ms;
    else
      at = int64_t{waits} * kWaitMs;  // the dial pause
    out.push_back(ScheduledDigit{at, c});
    at += tone_ms;
    waits = 0;
  }
  return out;
}

}  // namespace callmesh::ingress
