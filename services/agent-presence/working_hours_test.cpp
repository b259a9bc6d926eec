#include "services/agent-presence/working_hours.h"

#include <gtest/gtest.h>

#include "shared/config/agent_registry.h"

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

// Working hours follow daylight saving in the agent's IANA zone (issue 20): the same 09:00-17:00
// is 14:00-22:00 UTC in winter and 13:00-21:00 UTC in summer, which a fixed offset gets wrong
// half the year. America/New_York: spring forward 2026-03-08 02:00 EST, fall back 2026-11-01
// 02:00 EDT.
config::AgentHours newYork(int from_minute, int to_minute) {
  config::AgentHours h;
  auto zone = tz::loadTimeZone("America/New_York");
  EXPECT_TRUE(zone.ok());
  if (zone.ok()) h.zone = zone.value();
  h.working_hours.push_back({{0, 1, 2, 3, 4, 5, 6}, from_minute, to_minute});
  return h;
}

TEST(WorkingHours, NineToFiveFollowsSpringForward) {
  auto h = newYork(9 * 60, 17 * 60);
  EXPECT_FALSE(inWorkingHours(h, 1772891940000));  // Sat 2026-03-07 13:59 UTC = 08:59 EST
  EXPECT_TRUE(inWorkingHours(h, 1772892000000));   // Sat 2026-03-07 14:00 UTC = 09:00 EST
  EXPECT_FALSE(inWorkingHours(h, 1773061140000));  // Mon 2026-03-09 12:59 UTC = 08:59 EDT
  EXPECT_TRUE(inWorkingHours(h, 1773061200000));   // Mon 2026-03-09 13:00 UTC = 09:00 EDT
  EXPECT_TRUE(inWorkingHours(h, 1773089940000));   // 20:59 UTC = 16:59 EDT
  EXPECT_FALSE(inWorkingHours(h, 1773090000000));  // 21:00 UTC = 17:00 EDT: exclusive
  // The old fixed offset (UTC-5) reads 13:00 UTC on 2026-03-09 as 08:00: wrong after the change.
  config::AgentHours fixed;
  fixed.utc_offset_minutes = -300;
  fixed.working_hours = h.working_hours;
  EXPECT_FALSE(inWorkingHours(fixed, 1773061200000));
}

TEST(WorkingHours, TheSkippedHourOfTheSpringChange) {
  auto h = newYork(60, 3 * 60);  // 01:00-03:00 local; 02:00-03:00 does not exist on 2026-03-08
  EXPECT_TRUE(inWorkingHours(h, 1772953140000));   // 06:59 UTC = 01:59 EST
  EXPECT_FALSE(inWorkingHours(h, 1772953200000));  // 07:00 UTC = 03:00 EDT
}

TEST(WorkingHours, TheRepeatedHourOfTheAutumnChange) {
  auto h = newYork(60, 2 * 60);                    // 01:00-02:00 local, lived twice on 2026-11-01
  EXPECT_TRUE(inWorkingHours(h, 1793511000000));   // 05:30 UTC = 01:30 EDT
  EXPECT_TRUE(inWorkingHours(h, 1793514600000));   // 06:30 UTC = 01:30 EST
  EXPECT_FALSE(inWorkingHours(h, 1793516400000));  // 07:00 UTC = 02:00 EST
  auto day = newYork(9 * 60, 17 * 60);
  EXPECT_FALSE(inWorkingHours(day, 1793624400000));  // Mon 2026-11-02 13:00 UTC = 08:00 EST
  EXPECT_TRUE(inWorkingHours(day, 1793628000000));   // 14:00 UTC = 09:00 EST
}

// An agent added once through the provisioning API (issue 20 "Done when"): the entry the API
// writes into the routing document's `agents` (time_zone and working_hours, as
// PUT /v1/admin/routing/agents/bob stores it), read the way agent-presence reads it
// (parseAgentRegistry, then mergedHours over cluster.yaml's deprecated fixed offset), is inside
// or outside 09:00-17:00 New York time on either side of both daylight-saving changes of 2026.
TEST(WorkingHours, ARegistryAgentsHoursFollowBothDaylightSavingChanges) {
  auto registry = config::parseAgentRegistry(R"(agents:
  - id: bob
    number: "+15550302"
    time_zone: America/New_York
    working_hours: [{days: mon-fri, from: "09:00", to: "17:00"}]
)");
  ASSERT_TRUE(registry.ok()) << registry.error().describe();
  std::map<std::string, config::AgentHours> configured;
  configured["bob"].utc_offset_minutes = -300;  // the old cluster.yaml entry: loses to the registry
  auto hours = config::mergedHours(*registry, configured);
  const auto& bob = hours.at("bob");
  // Spring forward (Sun 2026-03-08): Friday before at EST (UTC-5), Monday after at EDT (UTC-4).
  EXPECT_FALSE(inWorkingHours(bob, 1772805540000));  // Fri 2026-03-06 13:59 UTC = 08:59 EST
  EXPECT_TRUE(inWorkingHours(bob, 1772805600000));   // Fri 14:00 UTC = 09:00 EST
  EXPECT_FALSE(inWorkingHours(bob, 1773061140000));  // Mon 2026-03-09 12:59 UTC = 08:59 EDT
  EXPECT_TRUE(inWorkingHours(bob, 1773061200000));   // Mon 13:00 UTC = 09:00 EDT
  // Fall back (Sun 2026-11-01): Friday before at EDT, Monday after at EST again.
  EXPECT_FALSE(inWorkingHours(bob, 1793365140000));  // Fri 2026-10-30 12:59 UTC = 08:59 EDT
  EXPECT_TRUE(inWorkingHours(bob, 1793365200000));   // Fri 13:00 UTC = 09:00 EDT
  EXPECT_FALSE(inWorkingHours(bob, 1793627940000));  // Mon 2026-11-02 13:59 UTC = 08:59 EST
  EXPECT_TRUE(inWorkingHours(bob, 1793628000000));   // Mon 14:00 UTC = 09:00 EST
  EXPECT_TRUE(inWorkingHours(bob, 1793656740000));   // Mon 21:59 UTC = 16:59 EST
  EXPECT_FALSE(inWorkingHours(bob, 1793656800000));  // Mon 22:00 UTC = 17:00 EST: exclusive
}

}  // namespace
}  // namespace callmesh::agent_presence
