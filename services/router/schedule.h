#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "services/router/time_zone.h"

namespace callmesh::router {

// "Mon-Fri 09:00-17:00": days of the week and a half-open span of local clock time
// [from, to). Overnight spans are written as two ranges so overlap checks stay simple.
struct DayTimeRange {
  uint8_t days = 0;  // bit i set = weekday i (0 = Monday ... 6 = Sunday)
  int from_minute = 0;
  int to_minute = 0;  // 1440 = midnight at the end of the day

  bool contains(const LocalTime& t) const;
  bool overlaps(const DayTimeRange& other) const;
  std::string describe() const;  // "mon,tue 09:00-17:00"
};

// A set of day-and-time ranges: working hours, active hours of a rule, opening hours.
struct WeeklyHours {
  std::vector<DayTimeRange> ranges;

  bool contains(const LocalTime& t) const;
  // The first pair of ranges (one from each side) that overlap, if any.
  std::optional<std::pair<DayTimeRange, DayTimeRange>> firstOverlap(const WeeklyHours& other) const;
};

// Opening hours in one time zone, closed all day on holidays (seed 000: scheduled routing).
struct Schedule {
  std::string id;
  std::shared_ptr<const TimeZone> zone;
  WeeklyHours hours;
  std::set<std::string> holidays;  // local dates "YYYY-MM-DD"

  struct Check {
    bool open = false;
    std::string why;  // for the decision trace
  };
  Check check(int64_t utc_ms) const;
};

// Parses "mon".."sun" (any case, also full names); -1 when not a day name.
int weekdayFromName(const std::string& name);
// Parses "HH:MM" (00:00..24:00) into minutes; nullopt when malformed.
std::optional<int> minutesFromClock(const std::string& text);

}  // namespace callmesh::router
