#include "shared/time/time_zone.h"

#include <gtest/gtest.h>

namespace callmesh::tz {
namespace {

int64_t ms(const char* rfc3339) {
  auto v = parseRfc3339(rfc3339);
  EXPECT_TRUE(v.ok()) << rfc3339;
  return v.ok() ? v.value() : 0;
}

std::shared_ptr<const TimeZone> zone(const std::string& name) {
  auto tz = loadTimeZone(name);
  EXPECT_TRUE(tz.ok()) << (tz.ok() ? "" : tz.error().describe());
  return tz.ok() ? tz.value() : std::make_shared<const TimeZone>(TimeZone::fixed("UTC", 0));
}

// seed 000_246ae9c7ee9a1def.txt: schedules run in the location's time zone, across daylight-saving
// changes. Each row: zone, instant, expected local reading.
TEST(TimeZone, Seed000LocalTimeAcrossDaylightSavingChanges) {
  struct Row {
    const char* zone;
    const char* utc;
    const char* local;
  } rows[] = {
      // America/New_York springs forward at 02:00 EST on 2026-03-08 ...
      {"America/New_York", "2026-03-08T06:59:00Z", "2026-03-08 Sun 01:59 UTC-05:00"},
      {"America/New_York", "2026-03-08T07:00:00Z", "2026-03-08 Sun 03:00 UTC-04:00"},
      // ... and falls back at 02:00 EDT on 2026-11-01: 01:00-02:00 happens twice.
      {"America/New_York", "2026-11-01T05:59:00Z", "2026-11-01 Sun 01:59 UTC-04:00"},
      {"America/New_York", "2026-11-01T06:00:00Z", "2026-11-01 Sun 01:00 UTC-05:00"},
      {"America/New_York", "2026-11-22T10:00:00Z", "2026-11-22 Sun 05:00 UTC-05:00"},
      // Beyond the transition table (fat files stop in 2037): the POSIX footer rule applies.
      {"America/New_York", "2040-07-01T16:00:00Z", "2040-07-01 Sun 12:00 UTC-04:00"},
      {"America/New_York", "2040-12-01T17:00:00Z", "2040-12-01 Sat 12:00 UTC-05:00"},
      {"Europe/London", "2026-03-29T00:59:00Z", "2026-03-29 Sun 00:59 UTC+00:00"},
      {"Europe/London", "2026-03-29T01:00:00Z", "2026-03-29 Sun 02:00 UTC+01:00"},
      // Southern hemisphere: daylight time spans the new year.
      {"Australia/Sydney", "2026-01-15T01:00:00Z", "2026-01-15 Thu 12:00 UTC+11:00"},
      {"Australia/Sydney", "2026-07-15T02:00:00Z", "2026-07-15 Wed 12:00 UTC+10:00"},
      {"Asia/Kolkata", "2026-07-15T06:30:00Z", "2026-07-15 Wed 12:00 UTC+05:30"},
      {"UTC", "1969-12-31T23:59:00Z", "1969-12-31 Wed 23:59 UTC+00:00"},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(zone(row.zone)->toLocal(ms(row.utc)).describe(), row.local)
        << row.zone << " " << row.utc;
  }
}

TEST(TimeZone, PosixFooterRuleMatchesTheTransitionTable) {
  auto rule = TimeZone::parsePosixRule("EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(rule.valid);
  auto ny = zone("America/New_York");
  for (const char* t : {"2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z", "2026-11-01T05:59:59Z",
                        "2026-11-01T06:00:00Z", "2030-06-01T00:00:00Z"}) {
    int64_t s = ms(t) / 1000;
    EXPECT_EQ(TimeZone::posixOffsetAt(rule, s), ny->utcOffsetAt(s)) << t;
  }
  EXPECT_TRUE(TimeZone::parsePosixRule("<+0530>-5:30").valid);
  EXPECT_FALSE(TimeZone::parsePosixRule("EST5EDT,J60,J300").valid);  // unsupported: not M form
}

TEST(TimeZone, RejectsUnknownAndUnsafeNames) {
  struct Row {
    const char* name;
    const char* message;
  } rows[] = {
      {"Mars/Olympus_Mons", "unknown time zone 'Mars/Olympus_Mons'"},
      {"../../etc/passwd", "is not an IANA time zone name"},
      {"/etc/localtime", "is not an IANA time zone name"},
  };
  for (const auto& row : rows) {
    auto tz = loadTimeZone(row.name);
    ASSERT_FALSE(tz.ok()) << row.name;
    EXPECT_NE(tz.error().message.find(row.message), std::string::npos) << tz.error().message;
  }
  EXPECT_FALSE(TimeZone::fromTzif("x", "not a tzif file").ok());
}

TEST(TimeZone, ParsesRfc3339) {
  EXPECT_EQ(ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ms("1970-01-01T01:00Z"), 3600000);
  EXPECT_EQ(ms("2026-11-22T05:00:00-05:00"), ms("2026-11-22T10:00:00Z"));
  EXPECT_FALSE(parseRfc3339("2026-02-30T00:00:00Z").ok());
  EXPECT_FALSE(parseRfc3339("yesterday").ok());
  EXPECT_FALSE(parseRfc3339("2026-11-22T10:00:00").ok());  // no zone: ambiguous
}

}  // namespace
}  // namespace callmesh::tz
