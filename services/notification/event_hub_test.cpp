// The hub numbers events and hands each to the io thread's listener (who receives what:
// stream_visibility_test.cpp).
#include "services/notification/event_hub.h"

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

StreamEvent streamEvent(std::string data, std::vector<std::string> audience, bool everyone) {
  StreamEvent e;
  e.name = "e";
  e.data = std::move(data);
  e.audience = std::move(audience);
  e.everyone = everyone;
  return e;
}

TEST(EventHub, NumbersEventsAndHandsEachToTheListenerUntilClosed) {
  EventHub hub;
  hub.publish(streamEvent("lost", {}, true));  // no listener yet: goes nowhere
  std::vector<std::shared_ptr<const StreamEvent>> got;
  hub.setListener([&](std::shared_ptr<const StreamEvent> e) { got.push_back(std::move(e)); });
  hub.publish(streamEvent("one", {"alice"}, false));
  hub.publish(streamEvent("two", {}, true));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]->seq, 2u);
  EXPECT_EQ(got[0]->data, "one");
  EXPECT_EQ(got[0]->audience, (std::vector<std::string>{"alice"}));
  EXPECT_EQ(got[1]->seq, 3u);
  EXPECT_EQ(hub.lastSeq(), 3u);
  hub.close();
  hub.publish(streamEvent("after", {}, true));
  EXPECT_EQ(got.size(), 2u);
  EXPECT_TRUE(hub.closed());
}

// Streams binary-search the audience (stream_visibility.h): whoever made the event, the hub hands
// it over sorted and without repeats.
TEST(EventHub, HandsTheAudienceOverSortedWithoutRepeats) {
  EventHub hub;
  std::vector<std::shared_ptr<const StreamEvent>> got;
  hub.setListener([&](std::shared_ptr<const StreamEvent> e) { got.push_back(std::move(e)); });
  hub.publish(streamEvent("x", {"carol", "alice", "bob", "alice"}, false));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]->audience, (std::vector<std::string>{"alice", "bob", "carol"}));
}

}  // namespace
}  // namespace callmesh::notification
