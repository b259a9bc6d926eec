// seed 004_ee4e98a6a7f6781b.txt: once an agent claims, the notification is removed for all other
// users at once (the withdrawal goes to them over the stream).
#include "services/notification/event_hub.h"

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

TEST(EventHub, ClaimBecomesClaimedForTheClaimerAndWithdrawnForTheOthers) {
  auto events = streamEventsFromBus(
      R"({"event":"notification.claimed","id":"c1","claimed_by":"bob","action":"call_back",)"
      R"("visible_to":["alice","bob","carol"]})");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].name, "notification.claimed");
  EXPECT_EQ(events[0].audience, (std::vector<std::string>{"bob"}));
  EXPECT_EQ(events[1].name, "notification.withdrawn");
  EXPECT_EQ(events[1].audience, (std::vector<std::string>{"alice", "carol"}));
}

TEST(EventHub, CreatedGoesToWhoSeesItAndAnsweredRecordsToTheAnswererOnly) {
  auto missed = streamEventsFromBus(
      R"({"event":"notification.created","notification":{"id":"c1","visible_to":["a","b"]}})");
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].audience, (std::vector<std::string>{"a", "b"}));
  auto answered = streamEventsFromBus(
      R"({"event":"notification.created","notification":{"id":"c2","visible_to":["b"],)"
      R"("claimed_by":"b"}})");
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_EQ(answered[0].audience, (std::vector<std::string>{"b"}));
  EXPECT_TRUE(streamEventsFromBus("not json").empty());
  EXPECT_TRUE(streamEventsFromBus(R"({"event":"other"})").empty());
}

TEST(EventHub, WaitAfterReturnsOnlyNewerEventsAndBoundsTheBacklog) {
  EventHub hub(2);
  EXPECT_TRUE(hub.waitAfter(0, 10).empty());
  for (int i = 0; i < 3; ++i) hub.publish(StreamEvent{0, "e", std::to_string(i), {}, true});
  auto got = hub.waitAfter(0, 10);
  ASSERT_EQ(got.size(), 2u);  // the oldest fell out
  EXPECT_EQ(got[0].seq, 2u);
  EXPECT_EQ(hub.waitAfter(3, 10).size(), 0u);
  hub.close();
  EXPECT_TRUE(hub.closed());
}

}  // namespace
}  // namespace callmesh::notification
