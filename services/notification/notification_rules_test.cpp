// seed 004_ee4e98a6a7f6781b.txt: which calls and texts become which notifications, who sees them,
// and the Source & Tag of contacts made from them.
#include <gtest/gtest.h>

#include "services/notification/contact_book.h"
#include "services/notification/notification_service.h"
#include "services/notification/notification_store.h"
#include "shared/redis/reply_fields.h"

namespace callmesh::notification {
namespace {

// The stored comma lists are read and written by shared/redis/reply_fields.h, as in every service.
using redis::joinList;
using redis::splitList;

config::CompanyNumberSettings companyNumber() {
  return {"Company line", "website", {"alice", "bob", "carol"}};
}

TEST(FollowUp, UnansweredCallFromUnknownCallerIsVisibleToTheRungAgents) {
  FollowUpInput in;
  in.ended = true;
  in.rung_agents = {"alice", "bob"};
  in.rung = {"alice", "bob"};
  auto r = followUpFor(in, companyNumber());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, NotificationKind::MissedCall);
  EXPECT_EQ(r->visible_to, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_FALSE(r->claimed);
  EXPECT_EQ(r->source, "Company line");
  EXPECT_EQ(r->tag, "website");
}

TEST(FollowUp, MissedCallWithoutAgentLegsGoesToTheSelectedAgents) {
  FollowUpInput in;
  in.ended = true;
  in.rung = {"+15550199"};
  auto r = followUpFor(in, companyNumber());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->visible_to, (std::vector<std::string>{"alice", "bob", "carol"}));
}

TEST(FollowUp, AnsweredCallIsARecordOfTheAnsweringAgentOnly) {
  FollowUpInput in;
  in.ended = true;
  in.answered = true;
  in.answered_agent = "bob";
  in.rung_agents = {"alice", "bob"};
  auto r = followUpFor(in, companyNumber());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, NotificationKind::AnsweredCall);
  EXPECT_TRUE(r->claimed);
  EXPECT_EQ(r->claimed_by, "bob");
  EXPECT_TRUE(visibleTo(*r, "bob"));
  EXPECT_FALSE(visibleTo(*r, "alice"));
}

TEST(FollowUp, KnownCallersRejectedCallsAndOffersMakeNothing) {
  FollowUpInput known;
  known.ended = true;
  known.known_caller = true;
  EXPECT_FALSE(followUpFor(known, companyNumber()));
  FollowUpInput rejected;
  rejected.ended = true;
  rejected.rejected = true;
  EXPECT_FALSE(followUpFor(rejected, companyNumber()));
  FollowUpInput offer;
  offer.offered = true;
  EXPECT_FALSE(followUpFor(offer, companyNumber()));
}

TEST(FollowUp, TextFromUnknownNumberIsVisibleToAllSelectedAgentsUntilClaimed) {
  FollowUpInput in;
  in.voice = false;
  in.ended = true;
  in.answered = true;  // delivered to the phones: still unclaimed until an agent acts
  auto r = followUpFor(in, companyNumber());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, NotificationKind::Text);
  for (const char* a : {"alice", "bob", "carol"}) EXPECT_TRUE(visibleTo(*r, a)) << a;
  r->claimed = true;
  r->claimed_by = "carol";
  EXPECT_FALSE(visibleTo(*r, "alice"));
  EXPECT_TRUE(visibleTo(*r, "carol"));
}

TEST(Contacts, NewContactFromNotificationTakesTheNumbersSourceAndTag) {
  auto c = contactFromNotification("Pat", "+15557770001", "Company line", "website", "alice");
  EXPECT_EQ(c.source, "Company line");
  EXPECT_EQ(c.tags, (std::vector<std::string>{"website"}));
  EXPECT_EQ(c.numbers, (std::vector<std::string>{"+15557770001"}));
  EXPECT_EQ(c.primary_agent, "alice");
}

TEST(Contacts, E164AndLists) {
  EXPECT_TRUE(isE164("+15550100"));
  EXPECT_FALSE(isE164("15550100"));
  EXPECT_FALSE(isE164("+1555"));
  EXPECT_FALSE(isE164("+1555010x"));
  EXPECT_EQ(splitList("a,,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(joinList({"a", "b"}), "a,b");
  EXPECT_EQ(parseAction("text_back"), ClaimAction::TextBack);
  EXPECT_FALSE(parseAction("steal"));
}

}  // namespace
}  // namespace callmesh::notification
