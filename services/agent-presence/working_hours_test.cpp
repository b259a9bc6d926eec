#include "services/agent-presence/working_hours.h"

#include <gtest/gtest.h>

namespace callmesh::agent_presence {
namespace {

// 2024-01-01 was a Monday; 00:00 UTC = 1704067200000 ms.
constexpr int64_t kMondayMidnightUtc = 1704067200000;
constexpr int64_t kHour = 3600 * 1000;

TEST(WorkingHours, NoRangesMeansAlwaysWorking) {
  EXPECT_TRUE(inWorkingHours({}, kMondayMidnightUtc));
}

TEST(WorkingHours, WeekdayOfficeHoursInTheAgentsOffset) {
  config::AgentHours h;
  h.utc_offset_minutes = -300;  // UTC-5
  h.working_hours.push_back({{0, 1, 2, 3, 4}, 8 * 60, 18 * 60});
  EXPECT_FALSE(inWorkingHours(h, kMondayMidnightUtc));               // Sunday 19:00 local
  EXPECT_TRUE(inWorkingHours(h, kMondayMidnightUtc + 13 * kHour));   // Monday 08:00 local
  EXPECT_FALSE(inWorkingHours(h, kMondayMidnightUtc + 23 * kHour));  // Monday 18:00: exclusive
  EXPECT_FALSE(inWorkingHours(h, kMondayMidnightUtc + (5 * 24 + 15) * kHour));  // Saturday
}

}  // namespace
}  // namespace callmesh::agent_presence
