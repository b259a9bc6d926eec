#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::tz {

// A wall-clock reading in one time zone: what schedules, working hours and active hours compare
// against.
struct LocalTime {
  int year = 1970;
  int month = 1;          // 1..12
  int day = 1;            // 1..31
  int weekday = 3;        // 0 = Monday ... 6 = Sunday (ISO order; 1970-01-01 was a Thursday)
  int minute_of_day = 0;  // 0..1439
  int utc_offset_s = 0;   // seconds east of UTC in effect at that instant

  // "2026-11-01" — the form holidays are written in.
  std::string date() const;
  // "2026-11-01 Sun 01:30 UTC-04:00", for traces.
  std::string describe() const;
};

// One IANA time zone, read from a TZif file (RFC 8536). GCC 12's libstdc++ has no
// std::chrono::locate_zone, and localtime_r needs a process-wide TZ switch, so callmesh reads
// the tz database itself. Immutable after construction; safe to share between threads.
class TimeZone {
 public:
  // Parses TZif bytes (version 2 or later: the 64-bit section and the POSIX-TZ footer that covers
  // instants after the last transition).
  static Result<TimeZone> fromTzif(std::string name, std::string_view bytes);
  // A zone with a fixed offset and no transitions ("UTC").
  static TimeZone fixed(std::string name, int utc_offset_s);

  const std::string& name() const { return name_; }
  // Seconds east of UTC in effect at `utc_s` (seconds since the Unix epoch).
  int utcOffsetAt(int64_t utc_s) const;
  LocalTime toLocal(int64_t utc_ms) const;

  // The POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0") used after the last transition; public so the
  // tests can check it separately from the transition table.
  struct PosixRule {
    bool valid = false;
    int std_offset_s = 0;  // east of UTC
    bool has_dst = false;
    int dst_offset_s = 0;
    // Mm.w.d/time for the start and end of daylight time; time in local seconds.
    int start_month = 0, start_week = 0, start_weekday = 0, start_time_s = 0;
    int end_month = 0, end_week = 0, end_weekday = 0, end_time_s = 0;
  };
  static PosixRule parsePosixRule(std::string_view text);
  static int posixOffsetAt(const PosixRule& rule, int64_t utc_s);

 private:
  std::string name_;
  std::vector<int64_t> transitions_;  // UTC seconds, ascending
  std::vector<uint8_t> transition_types_;
  std::vector<int32_t> type_offsets_;  // seconds east of UTC per local time type
  int32_t initial_offset_ = 0;         // before the first transition
  PosixRule footer_;
};

// Parses an RFC 3339 instant ("2026-11-22T10:00:00Z", "2026-11-22T05:00-05:00") to milliseconds
// since the Unix epoch. For tools and tests; the router itself gets times from RouteRequest.
Result<int64_t> parseRfc3339(std::string_view text);

// Loads `name` ("America/New_York") from a tz database folder. Names are checked so a config value
// cannot read outside the folder.
Result<std::shared_ptr<const TimeZone>> loadTimeZone(
    const std::string& name, const std::string& zoneinfo_dir = "/usr/share/zoneinfo");

}  // namespace callmesh::tz
