// The in-process fan-out's backlog (who receives what: stream_visibility_test.cpp).
#include "services/notification/event_hub.h"

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

TEST(EventHub, WaitAfterReturnsOnlyNewerEventsAndBoundsTheBacklog) {
  EventHub hub(2);
  EXPECT_TRUE(hub.waitAfter(0, 10).empty());
  for (int i = 0; i < 3; ++i) {
    StreamEvent e;
    e.name = "e";
    e.data = std::to_string(i);
    e.everyone = true;
    hub.publish(e);
  }
  auto got = hub.waitAfter(0, 10);
  ASSERT_EQ(got.size(), 2u);  // the oldest fell out
  EXPECT_EQ(got[0].seq, 2u);
  EXPECT_EQ(hub.waitAfter(3, 10).size(), 0u);
  hub.close();
  EXPECT_TRUE(hub.closed());
}

}  // namespace
}  // namespace callmesh::notification
