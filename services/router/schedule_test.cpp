#include "services/router/schedule.h"

#include <gtest/gtest.h>

namespace callmesh::router {
namespace {

int64_t ms(const char* rfc3339) { return parseRfc3339(rfc3339).value(); }

Schedule officeHours() {
  Schedule s;
  s.id = "office";
  s.zone = loadTimeZone("America/New_York").value();
  s.hours.ranges.push_back(DayTimeRange{0x1f, 9 * 60, 17 * 60});  // mon-fri 09:00-17:00
  s.holidays.insert("2026-12-25");
  return s;
}

// seed 000_246ae9c7ee9a1def.txt: scheduled routing, per location time zone, holidays, across the
// 2026 daylight-saving changes in America/New_York.
TEST(Schedule, Seed000OpenAndClosedTimes) {
  struct Row {
    const char* utc;
    bool open;
    const char* why;
  } rows[] = {
      {"2026-03-06T13:59:00Z", false, "08:59 EST Friday"},
      {"2026-03-06T14:00:00Z", true, "09:00 EST Friday"},
      {"2026-03-09T13:00:00Z", true, "09:00 EDT Monday after spring forward"},
      {"2026-03-09T12:59:00Z", false, "08:59 EDT"},
      {"2026-10-30T20:59:00Z", true, "16:59 EDT Friday"},
      {"2026-10-30T21:00:00Z", false, "17:00 EDT: end is exclusive"},
      {"2026-11-02T13:59:00Z", false, "08:59 EST Monday after fall back"},
      {"2026-11-02T14:00:00Z", true, "09:00 EST"},
      {"2026-11-22T15:00:00Z", false, "Sunday"},
      {"2026-12-25T15:00:00Z", false, "holiday (a Friday)"},
  };
  Schedule s = officeHours();
  for (const auto& row : rows) {
    auto check = s.check(ms(row.utc));
    EXPECT_EQ(check.open, row.open) << row.utc << " " << row.why << ": " << check.why;
  }
  EXPECT_NE(s.check(ms("2026-12-25T15:00:00Z")).why.find("holiday"), std::string::npos);
}

TEST(Schedule, ParsesDaysAndClockTimes) {
  EXPECT_EQ(weekdayFromName("mon"), 0);
  EXPECT_EQ(weekdayFromName("Sunday"), 6);
  EXPECT_EQ(weekdayFromName("funday"), -1);
  struct Row {
    const char* text;
    std::optional<int> minutes;
  } rows[] = {{"00:00", 0},           {"09:30", 570},
              {"24:00", 1440},        {"24:01", std::nullopt},
              {"9:30", std::nullopt}, {"12:60", std::nullopt},
              {"ab:cd", std::nullopt}};
  for (const auto& row : rows) EXPECT_EQ(minutesFromClock(row.text), row.minutes) << row.text;
}

// seed 004_ee4e98a6a7f6781b.txt: active hours of custom rules must not overlap.
TEST(Schedule, Seed004OverlapDetection) {
  struct Row {
    DayTimeRange a, b;
    bool overlap;
  } rows[] = {
      {{0x01, 9 * 60, 12 * 60}, {0x01, 11 * 60, 13 * 60}, true},   // mon 9-12 vs mon 11-13
      {{0x01, 9 * 60, 12 * 60}, {0x01, 12 * 60, 13 * 60}, false},  // touching ends
      {{0x01, 9 * 60, 12 * 60}, {0x02, 9 * 60, 12 * 60}, false},   // different days
      {{0x7f, 0, 1440}, {0x40, 600, 660}, true},                   // daily vs sunday
  };
  for (const auto& row : rows) {
    EXPECT_EQ(row.a.overlaps(row.b), row.overlap) << row.a.describe() << " / " << row.b.describe();
  }
}

}  // namespace
}  // namespace callmesh::router
