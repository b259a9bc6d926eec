// seed 004_ee4e98a6a7f6781b.txt against a real redis-server: missed calls and texts from unknown
// numbers are unclaimed notifications; the first agent to act claims them atomically; answered
// calls are visible to the answering agent only; Source & Tag rules for contacts.
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "services/notification/contact_book.h"
#include "services/notification/notification_store.h"
#include "shared/base/clock.h"
#include "shared/redis/hiredis_client.h"
#include "shared/testing/redis_server.h"

namespace callmesh::notification {
namespace {

class ClaimsIntegration : public ::testing::Test {
 protected:
  redis::RedisEndpoint endpoint() { return {server_.host(), server_.port(), 2000}; }
  NotificationRecord missed(const std::string& id, std::vector<std::string> agents) {
    NotificationRecord r;
    r.id = id;
    r.kind = NotificationKind::MissedCall;
    r.number = "+15550200";
    r.caller = "+15557770001";
    r.rung = agents;
    r.visible_to = agents;
    r.source = "Company line";
    r.tag = "website";
    r.at_ms = now_;
    return r;
  }

  // Records expire by wall time (notification.retention), so they are made "now".
  const int64_t now_ = SystemClock().nowMs();
  // What `agent` sees now: unclaimed records and what they claimed (GET /v1/notifications).
  std::vector<NotificationRecord> list(const std::string& agent) {
    auto all = store_.listForAgent(agent, AgentList::All, "", 50).value().records;
    auto answered = store_.listForAgent(agent, AgentList::Answered, "", 50).value().records;
    all.insert(all.end(), answered.begin(), answered.end());
    return all;
  }

  testing::RedisServer server_;
  redis::HiredisClient client_{endpoint()};
  NotificationStore store_{client_};
};

TEST_F(ClaimsIntegration, HundredConcurrentClaimsOfOneNotificationExactlyOneWins) {
  std::vector<std::string> agents;
  for (int i = 0; i < 100; ++i) agents.push_back("agent-" + std::to_string(i));
  ASSERT_TRUE(store_.record(missed("c-race", agents)).value());

  std::atomic<int> won{0}, held{0}, other{0};
  std::vector<std::string> holders(100);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < 100; ++i) {
    threads.emplace_back([&, i] {
      redis::HiredisClient own(endpoint());  // one connection per claimant, like API replicas
      NotificationStore store(own);
      (void)own.command({"PING"});
      while (!go) std::this_thread::yield();
      auto r =
          store.claim("c-race", agents[static_cast<size_t>(i)], ClaimAction::CallBack, now_ + 2000);
      if (!r.ok()) {
        ++other;
      } else if (r->outcome == ClaimOutcome::Won && r->first) {
        ++won;
      } else if (r->outcome == ClaimOutcome::HeldByOther) {
        ++held;
        holders[static_cast<size_t>(i)] = r->holder;
      } else {
        ++other;
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(held.load(), 99);
  EXPECT_EQ(other.load(), 0);
  auto rec = store_.get("c-race").value();
  ASSERT_TRUE(rec);
  EXPECT_TRUE(rec->claimed);
  for (const auto& h : holders) {
    if (!h.empty()) {
      EXPECT_EQ(h, rec->claimed_by);  // every refusal names the one winner
    }
  }
  EXPECT_EQ(store_.unclaimedCount().value(), 0);
}

TEST_F(ClaimsIntegration, ClaimWithdrawsForOthersAndSecondClaimNamesTheHolder) {
  ASSERT_TRUE(store_.record(missed("c1", {"alice", "bob", "carol"})).value());
  EXPECT_FALSE(store_.record(missed("c1", {"alice", "bob", "carol"})).value());  // redelivery
  for (const char* a : {"alice", "bob", "carol"}) {
    EXPECT_EQ(list(a).size(), 1u) << a;
  }
  // seed 004_ee4e98a6a7f6781b.txt: "all users can see the record of the missed call" ...
  ASSERT_EQ(list("dave").size(), 1u);
  EXPECT_FALSE(mayClaim(list("dave")[0], "dave"));
  // ... "Any selected agents can make further operations": dave was not selected.
  EXPECT_EQ(store_.claim("c1", "dave", ClaimAction::CallBack, now_ + 4).value().outcome,
            ClaimOutcome::NotSelected);
  EXPECT_EQ(client_.command({"HGET", NotificationStore::recordKey("c1"), "state"})->text,
            "unclaimed");
  auto first = store_.claim("c1", "bob", ClaimAction::TextBack, now_ + 5).value();
  EXPECT_EQ(first.outcome, ClaimOutcome::Won);
  EXPECT_TRUE(first.first);
  auto again = store_.claim("c1", "bob", ClaimAction::CreateContact, now_ + 6).value();
  EXPECT_EQ(again.outcome, ClaimOutcome::Won);  // the holder may keep acting
  EXPECT_FALSE(again.first);
  auto second = store_.claim("c1", "alice", ClaimAction::CallBack, now_ + 7).value();
  EXPECT_EQ(second.outcome, ClaimOutcome::HeldByOther);
  EXPECT_EQ(second.holder, "bob");
  EXPECT_EQ(second.action, "text_back");
  EXPECT_EQ(list("alice").size(), 0u);  // gone for the others
  EXPECT_EQ(list("carol").size(), 0u);
  EXPECT_EQ(list("bob").size(), 1u);
  EXPECT_EQ(list("dave").size(), 0u);  // "removed for all other users"
  // An outsider learns nothing, not even who holds it.
  auto outsider = store_.claim("c1", "dave", ClaimAction::CallBack, now_ + 8).value();
  EXPECT_EQ(outsider.outcome, ClaimOutcome::NotFound);
  EXPECT_TRUE(outsider.holder.empty());
  EXPECT_EQ(store_.claim("nope", "bob", ClaimAction::CallBack, now_ + 9).value().outcome,
            ClaimOutcome::NotFound);
}

TEST_F(ClaimsIntegration, AnsweredCallRecordIsVisibleToTheAnsweringAgentOnly) {
  NotificationRecord r = missed("c-ans", {"bob"});
  r.kind = NotificationKind::AnsweredCall;
  r.claimed = true;
  r.claimed_by = "bob";
  r.claim_action = "answered";
  ASSERT_TRUE(store_.record(r).value());
  EXPECT_EQ(store_.unclaimedCount().value(), 0);
  ASSERT_EQ(list("bob").size(), 1u);
  EXPECT_EQ(list("alice").size(), 0u);
  EXPECT_EQ(store_.claim("c-ans", "alice", ClaimAction::CallBack, now_ + 1).value().outcome,
            ClaimOutcome::NotFound);
  EXPECT_EQ(store_.claim("c-ans", "bob", ClaimAction::CreateContact, now_ + 1).value().outcome,
            ClaimOutcome::Won);
}

TEST_F(ClaimsIntegration, TextFromUnknownNumberVisibleToAllSelectedUntilClaimed) {
  NotificationRecord r = missed("t1", {"alice", "bob"});
  r.kind = NotificationKind::Text;
  ASSERT_TRUE(store_.record(r).value());
  EXPECT_EQ(list("alice").at(0).kind, NotificationKind::Text);
  EXPECT_EQ(store_.claim("t1", "alice", ClaimAction::TextBack, now_ + 1).value().outcome,
            ClaimOutcome::Won);
  EXPECT_TRUE(list("bob").empty());
}

// issue 17 item 6: every record expires (unclaimed after unclaimed_ms, claimed/answered
// handled_ms after the claim) and the indexes are trimmed to the same horizon as they are written.
TEST_F(ClaimsIntegration, RecordsExpireByRetentionAndIndexesAreTrimmedOnWrite) {
  config::RetentionSettings keep;
  keep.handled_ms = 60000;
  keep.unclaimed_ms = 600000;
  NotificationStore store(client_, keep);
  auto pttl = [&](const std::string& id) {
    return client_.command({"PTTL", NotificationStore::recordKey(id)})->integer;
  };
  ASSERT_TRUE(store.record(missed("fresh", {"alice"})).value());
  EXPECT_GT(pttl("fresh"), 590000);
  EXPECT_LE(pttl("fresh"), 600000);
  ASSERT_EQ(store.claim("fresh", "alice", ClaimAction::CallBack, now_).value().outcome,
            ClaimOutcome::Won);
  EXPECT_GT(pttl("fresh"), 50000);  // handled: the shorter retention from the claim on
  EXPECT_LE(pttl("fresh"), 60000);
  EXPECT_EQ(client_.command({"ZSCORE", "cm:agent:{alice}:claimed", "fresh"})->text,
            std::to_string(now_));

  // An entry older than the horizon leaves its index with the next write to that index: the
  // unclaimed indexes are sharded by Call-ID (keys.h), so the next record here is one whose id
  // lands in the old one's shard.
  namespace nk = redis::notification_keys;
  NotificationRecord old = missed("old", {"alice"});
  old.at_ms = now_ - 700000;
  ASSERT_TRUE(store.record(old).value());
  EXPECT_EQ(client_.command({"EXISTS", NotificationStore::recordKey("old")})->integer, 0);
  std::string next = "next";
  for (int i = 0; nk::unclaimedShardOf(next) != nk::unclaimedShardOf("old"); ++i) {
    next = "next-" + std::to_string(i);
  }
  ASSERT_TRUE(store.record(missed(next, {"alice"})).value());
  for (const auto& shards : {nk::allUnclaimedShards(), nk::allUnclaimedMissedShards()}) {
    int64_t entries = 0;
    for (const auto& index : shards) {
      EXPECT_EQ(client_.command({"ZSCORE", index, "old"})->type, redis::RedisReply::Type::Nil)
          << index;
      entries += client_.command({"ZCARD", index})->integer;
    }
    EXPECT_EQ(entries, 1) << shards.front();
  }
}

// issue 17 item 6: "an agent's list must never hide an older unclaimed record behind ~200 newer
// answered ones": unclaimed, claimed and answered records have indexes of their own, and paging
// with cursors reaches every record once.
TEST_F(ClaimsIntegration, OlderUnclaimedRecordIsOnTheFirstPageDespite450NewerHandledOnes) {
  NotificationRecord text = missed("t-old", {"alice", "bob"});
  text.kind = NotificationKind::Text;
  text.at_ms = now_ - 1000;
  ASSERT_TRUE(store_.record(text).value());
  for (int i = 0; i < 450; ++i) {
    NotificationRecord r = missed("ans-" + std::to_string(i), {"alice"});
    r.at_ms = now_ + i;
    if (i % 2 == 0) {
      r.kind = NotificationKind::AnsweredCall;
      r.claimed = true;
      r.claimed_by = "alice";
      r.claim_action = "answered";
      ASSERT_TRUE(store_.record(r).value());
    } else {
      ASSERT_TRUE(store_.record(r).value());
      ASSERT_EQ(store_.claim(r.id, "alice", ClaimAction::CallBack, now_ + i).value().outcome,
                ClaimOutcome::Won);
    }
  }
  auto open = store_.listForAgent("alice", AgentList::Open, "", 50).value();
  ASSERT_EQ(open.records.size(), 1u);
  EXPECT_EQ(open.records[0].id, "t-old");
  EXPECT_TRUE(open.next_cursor.empty());
  // All (unclaimed and claimed) through cursors: 225 claimed + the text, once each, newest first.
  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 20; ++pages) {
    auto page = store_.listForAgent("alice", AgentList::All, cursor, 50).value();
    for (const auto& r : page.records) seen.push_back(r.id);
    cursor = page.next_cursor;
    if (cursor.empty()) break;
  }
  ASSERT_EQ(seen.size(), 226u);
  EXPECT_EQ(seen.front(), "ans-449");
  EXPECT_EQ(seen.back(), "t-old");
  size_t answered = 0;
  for (cursor.clear();;) {
    auto page = store_.listForAgent("alice", AgentList::Answered, cursor, 200).value();
    answered += page.records.size();
    cursor = page.next_cursor;
    if (cursor.empty()) break;
  }
  EXPECT_EQ(answered, 225u);
  EXPECT_EQ(store_.listForAgent("alice", AgentList::All, "garbage", 50).error().kind,
            ErrorKind::InvalidInput);
}

TEST_F(ClaimsIntegration, NewContactGetsTheNumbersSourceAndTagAndIsIndexedByNumber) {
  ContactBook book(client_);
  auto c =
      book.create(contactFromNotification("Pat", "+15557770001", "Company line", "website", "bob"),
                  42)
          .value();
  auto stored = book.get(c.id).value();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->source, "Company line");
  EXPECT_EQ(stored->tags, (std::vector<std::string>{"website"}));
  EXPECT_EQ(stored->created_at_ms, 42);
  EXPECT_EQ(stored->primary_agent, "bob");
  EXPECT_TRUE(book.knownNumber("+15557770001").value());
  auto members = client_.command({"SMEMBERS", "cm:contacts:number:{+15557770001}"});
  ASSERT_EQ(members->elements.size(), 1u);
  EXPECT_EQ(members->elements[0].text, c.id);
}

TEST_F(ClaimsIntegration, AssociatingWithAContactThatHasASourceAddsSourceAndTagAsTags) {
  ContactBook book(client_);
  Contact existing;
  existing.name = "Kim";
  existing.numbers = {"+15550000001"};
  existing.source = "Zillow";
  existing.tags = {"buyer"};
  auto c = book.create(existing, 1).value();
  auto after = book.associate(c.id, "+15557770001", "Company line", "website").value();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->source, "Zillow");  // one Source: unchanged
  EXPECT_EQ(after->tags, (std::vector<std::string>{"buyer", "Company line", "website"}));
  EXPECT_EQ(after->numbers, (std::vector<std::string>{"+15550000001", "+15557770001"}));
  EXPECT_TRUE(book.knownNumber("+15557770001").value());
  // Associating twice adds nothing twice.
  after = book.associate(c.id, "+15557770001", "Company line", "website").value();
  EXPECT_EQ(after->tags.size(), 3u);
}

TEST_F(ClaimsIntegration, AssociatingWithAContactWithoutSourceMakesTheNumbersSourceItsSource) {
  ContactBook book(client_);
  Contact existing;
  existing.name = "Lee";
  auto c = book.create(existing, 1).value();
  auto after = book.associate(c.id, "+15557770002", "Company line", "website").value();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->source, "Company line");
  EXPECT_EQ(after->tags, (std::vector<std::string>{"website"}));
  EXPECT_FALSE(book.associate("missing", "+15557770002", "x", "y").value());
}

TEST_F(ClaimsIntegration, ReplacingAContactMovesItsNumberIndexAndRemoveClearsIt) {
  ContactBook book(client_);
  Contact c;
  c.name = "Ann";
  c.numbers = {"+15550000011"};
  c = book.create(c, 7).value();
  c.numbers = {"+15550000012"};
  auto saved = book.replace(c).value();
  EXPECT_EQ(saved.created_at_ms, 7);
  EXPECT_FALSE(book.knownNumber("+15550000011").value());
  EXPECT_TRUE(book.knownNumber("+15550000012").value());
  EXPECT_EQ(book.list(10).value().size(), 1u);
  EXPECT_TRUE(book.remove(c.id).value());
  EXPECT_FALSE(book.knownNumber("+15550000012").value());
  EXPECT_FALSE(book.remove(c.id).value());
}

}  // namespace
}  // namespace callmesh::notification
