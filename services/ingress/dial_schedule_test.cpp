// Seed 000_246ae9c7ee9a1def.txt "Dialing an Extension": `w` = half a second, Dial Pause before.
#include "services/ingress/dial_schedule.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

std::string render(const std::vector<ScheduledDigit>& s) {
  std::string out;
  for (const auto& d : s) out += std::string(1, d.digit) + "@" + std::to_string(d.at_ms) + " ";
  return out;
}

TEST(DialSchedule, Seed000MenuThenExtensionWithTwoWaits) {
  auto s = scheduleExtension("3ww1928", 100, 100);
  ASSERT_TRUE(s.ok());
  // 3 at 0; its tone ends at 100; ww = 1000 ms of silence; then 1928 with 100 ms gaps.
  EXPECT_EQ(render(s.value()), "3@0 1@1100 9@1300 2@1500 8@1700 ");
}

TEST(DialSchedule, LeadingWaitsAreTheDialPause) {
  auto s = scheduleExtension("ww12", 100, 100);  // Dial Pause 1 s, as the router writes it
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(render(s.value()), "1@1000 2@1200 ");
}

TEST(DialSchedule, TrailingWaitsAndEmptyPlayNothing) {
  EXPECT_TRUE(scheduleExtension("", 100, 100)->empty());
  EXPECT_TRUE(scheduleExtension("www", 100, 100)->empty());
  EXPECT_EQ(render(scheduleExtension("5ww", 80, 60).value()), "5@0 ");
}

TEST(DialSchedule, StarHashLettersAndLowercase) {
  EXPECT_EQ(render(scheduleExtension("*#ad", 100, 50).value()), "*@0 #@150 A@300 D@450 ");
}

TEST(DialSchedule, RefusesWhatIsNoDigitAndOverlongInput) {
  auto bad = scheduleExtension("12,3", 100, 100);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "',' is no DTMF digit or w");
  EXPECT_FALSE(scheduleExtension(std::string(65, '1'), 100, 100).ok());
  EXPECT_TRUE(scheduleExtension(std::string(64, '1'), 100, 100).ok());
}

}  // namespace
}  // namespace callmesh::ingress
