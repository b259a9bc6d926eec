#include "services/router/schedule.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace callmesh::router {

namespace {
constexpr const char* kDayNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr const char* kFullDayNames[] = {"monday", "tuesday",  "wednesday", "thursday",
                                         "friday", "saturday", "sunday"};

std::string clockText(int minutes) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}
}  // namespace

int weekdayFromName(const std::string& name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; i < 7; ++i) {
    if (lower == kDayNames[i] || lower == kFullDayNames[i]) return i;
  }
  return -1;
}

std::optional<int> minutesFromClock(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  int h = (text[0] - '0') * 10 + (text[1] - '0');
  int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

bool DayTimeRange::contains(const LocalTime& t) const {
  return (days & (1u << t.weekday)) != 0 && t.minute_of_day >= from_minute &&
         t.minute_of_day < to_minute;
}

bool DayTimeRange::overlaps(const DayTimeRange& other) const {
  return (days & other.days) != 0 && from_minute < other.to_minute && other.from_minute < to_minute;
}

std::string DayTimeRange::describe() const {
  std::string out;
  for (int i = 0; i < 7; ++i) {
    if (days & (1u << i)) {
      if (!out.empty()) out += ',';
      out += kDayNames[i];
    }
  }
  return out + " " + clockText(from_minute) + "-" + clockText(to_minute);
}

bool WeeklyHours::contains(const LocalTime& t) const {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const DayTimeRange& r) { return r.contains(t); });
}

std::optional<std::pair<DayTimeRange, DayTimeRange>> WeeklyHours::firstOverlap(
    const WeeklyHours& other) const {
  for (const auto& a : ranges) {
    for (const auto& b : other.ranges) {
      if (a.overlaps(b)) return std::make_pair(a, b);
    }
  }
  return std::nullopt;
}

Schedule::Check Schedule::check(int64_t utc_ms) const {
  LocalTime local = zone->toLocal(utc_ms);
  std::string at = local.describe() + " " + zone->name();
  if (holidays.count(local.date())) {
    return {false, "schedule " + id + " closed: " + local.date() + " is a holiday (" + at + ")"};
  }
  for (const auto& r : hours.ranges) {
    if (r.contains(local)) return {true, "schedule " + id + " open: " + at + " in " + r.describe()};
  }
  return {false, "schedule " + id + " closed: " + at + " outside its hours"};
}

}  // namespace callmesh::router
