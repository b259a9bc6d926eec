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

TEST(EventHub, NumbersEventsAndHandsEachToTheListenerUntilClosed) {
  EventHub hub;
  hub.publish(StreamEvent{0, "e", "lost", {}, true});  // no listener yet: goes nowhere
  std::vector<std::shared_ptr<const StreamEvent>> got;
  hub.setListener([&](std::shared_ptr<const StreamEvent> e) { got.push_back(std::move(e)); });
  hub.publish(StreamEvent{0, "e", "one", {"alice"}, false});
  hub.publish(StreamEvent{0, "e", "two", {}, true});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]->seq, 2u);
  EXPECT_EQ(got[0]->data, "one");
  EXPECT_EQ(got[0]->audience, (std::vector<std::string>{"alice"}));
  EXPECT_EQ(got[1]->seq, 3u);
  EXPECT_EQ(hub.lastSeq(), 3u);
  hub.close();
  hub.publish(StreamEvent{0, "e", "after", {}, true});
  EXPECT_EQ(got.size(), 2u);
  EXPECT_TRUE(hub.closed());
}

}  // namespace
}  // namespace callmesh::notification
