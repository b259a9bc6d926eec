// Who receives which live event (issue 17 item 4; seed 004_ee4e98a6a7f6781b.txt).
#include "services/notification/stream_visibility.h"

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

const Principal kAlice{"alice", false}, kBob{"bob", false}, kCarol{"carol", false},
    kRoot{"root", true};

// seed 004_ee4e98a6a7f6781b.txt: "If a call is not answered by any of the selected agents, all
// users can see the record of the missed call"; "the notification will be removed for all other
// users".
TEST(StreamVisibility, MissedCallGoesToEveryUserAndItsWithdrawalToAllButTheClaimer) {
  auto created = streamEventsFromBus(
      R"({"event":"notification.created","notification":{"id":"c1","kind":"missed_call",)"
      R"("visible_to":["alice","bob"]}})");
  ASSERT_EQ(created.size(), 1u);
  for (const auto& who : {kAlice, kBob, kCarol, kRoot}) {
    EXPECT_TRUE(streamMayReceive(created[0], who)) << who.agent_id;
  }
  auto claimed = streamEventsFromBus(
      R"({"event":"notification.claimed","id":"c1","claimed_by":"bob","action":"call_back",)"
      R"("seen_by_all":true,"visible_to":["alice","bob"]})");
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].name, "notification.claimed");
  EXPECT_TRUE(streamMayReceive(claimed[0], kBob));
  EXPECT_FALSE(streamMayReceive(claimed[0], kAlice));
  EXPECT_EQ(claimed[1].name, "notification.withdrawn");
  EXPECT_FALSE(streamMayReceive(claimed[1], kBob));
  EXPECT_TRUE(streamMayReceive(claimed[1], kAlice));
  EXPECT_TRUE(streamMayReceive(claimed[1], kCarol));
}

// seed 004_ee4e98a6a7f6781b.txt: "The unknown IB text will be sent to all selected routing
// agents. The record will be visible for all of them until anyone takes a 'claim' action."
TEST(StreamVisibility, TextGoesToItsRoutedAgentsOnly) {
  auto created = streamEventsFromBus(
      R"({"event":"notification.created","notification":{"id":"t1","kind":"text",)"
      R"("visible_to":["alice","bob"]}})");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_TRUE(streamMayReceive(created[0], kAlice));
  EXPECT_FALSE(streamMayReceive(created[0], kCarol));
  auto claimed = streamEventsFromBus(
      R"({"event":"notification.claimed","id":"t1","claimed_by":"bob","action":"text_back",)"
      R"("seen_by_all":false,"visible_to":["alice","bob","carol"]})");
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[1].audience, (std::vector<std::string>{"alice", "carol"}));
}

// The audience is searched, not scanned (once per agent on the replica): it comes out of the bus
// message sorted and without repeats, whatever order the writer used.
TEST(StreamVisibility, AudienceInAnyOrderWithRepeatsReachesExactlyItsAgents) {
  auto claimed = streamEventsFromBus(
      R"({"event":"notification.claimed","id":"t2","claimed_by":"bob","action":"text_back",)"
      R"("seen_by_all":false,"visible_to":["zed","carol","bob","alice","carol","a10","a9"]})");
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[1].audience, (std::vector<std::string>{"a10", "a9", "alice", "carol", "zed"}));
  for (const char* id : {"zed", "carol", "alice", "a10", "a9"}) {
    EXPECT_TRUE(streamMayReceive(claimed[1], Principal{id, false})) << id;
  }
  for (const char* id : {"bob", "a1", "carl", "zee", ""}) {
    EXPECT_FALSE(streamMayReceive(claimed[1], Principal{id, false})) << id;
  }
  StreamEvent by_hand;  // made in code, not from the bus: EventHub::publish sorts it
  by_hand.audience = {"carol", "alice", "alice"};
  sortAudience(by_hand);
  EXPECT_EQ(by_hand.audience, (std::vector<std::string>{"alice", "carol"}));
}

TEST(StreamVisibility, AnsweredRecordGoesToTheAnswererOnly) {
  auto answered = streamEventsFromBus(
      R"({"event":"notification.created","notification":{"id":"c2","kind":"answered_call",)"
      R"("visible_to":["bob"],"claimed_by":"bob"}})");
  ASSERT_EQ(answered.size(), 1u);
  EXPECT_TRUE(streamMayReceive(answered[0], kBob));
  EXPECT_FALSE(streamMayReceive(answered[0], kAlice));
  EXPECT_FALSE(streamMayReceive(answered[0], kRoot));
}

// issue 17: agents get their own presence; admins everyone's.
TEST(StreamVisibility, PresenceGoesToTheAgentConcernedAndToAdmins) {
  auto events = streamEventsFromBus(
      R"({"event":"presence.changed","agent":{"agent_id":"alice","availability":"away"}})");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(streamMayReceive(events[0], kAlice));
  EXPECT_TRUE(streamMayReceive(events[0], kRoot));
  EXPECT_FALSE(streamMayReceive(events[0], kBob));
}

TEST(StreamVisibility, MalformedMessagesGiveNothing) {
  EXPECT_TRUE(streamEventsFromBus("not json").empty());
  EXPECT_TRUE(streamEventsFromBus(R"({"event":"other"})").empty());
  EXPECT_TRUE(streamEventsFromBus(R"({"event":"presence.changed","agent":"x"})").empty());
  EXPECT_TRUE(streamEventsFromBus(R"({"event":"notification.created","notification":3})").empty());
}

}  // namespace
}  // namespace callmesh::notification
