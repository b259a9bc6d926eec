#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::ingress {

// When each extension digit is played after the receiving number answers (seed
// 000_246ae9c7ee9a1def.txt "Dialing an Extension"): `w` is half a second of wait; leading `w`s
// are the dial pause (the router writes Dial Pause as 2 `w` per second before the extension).
// Digits are RFC 4733 events of `tone_ms`; between two digits with no `w` there is `gap_ms` of
// silence, and n `w`s make that silence n x 500 ms instead. Pure: the ingress arms one timer per
// digit from this.
struct ScheduledDigit {
  int64_t at_ms = 0;  // after the answer
  char digit = 0;     // 0-9 * # A-D
};

constexpr size_t kMaxExtensionChars = 64;
constexpr int kWaitMs = 500;

Result<std::vector<ScheduledDigit>> scheduleExtension(const std::string& extension, int tone_ms,
                                                      int gap_ms);

}  // namespace callmesh::ingress
