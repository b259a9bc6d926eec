// issue 17 item 6 against a real redis-server: an idle agent's indexes lose their entries past
// retention through the periodic pass (services/notification/index_trim.h), without that agent
// writing or reading anything; the pass is bounded by its batch and drops emptied indexes from
// its ledger. Records follow seed 004_ee4e98a6a7f6781b.txt (texts routed to the selected agents,
// claims, answered calls).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "services/notification/index_trim.h"
#include "services/notification/notification_store.h"
#include "shared/base/clock.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/testing/redis_server.h"

namespace callmesh::notification {
namespace {

namespace nk = redis::notification_keys;

class IndexTrimIntegration : public ::testing::Test {
 protected:
  static config::RetentionSettings shortRetention() {
    config::RetentionSettings keep;
    keep.handled_ms = 60000;
    keep.unclaimed_ms = 120000;
    return keep;
  }
  redis::RedisEndpoint endpoint() { return {server_.host(), server_.port(), 2000}; }
  NotificationRecord text(const std::string& id, std::vector<std::string> agents, int64_t at) {
    NotificationRecord r;
    r.id = id;
    r.kind = NotificationKind::Text;
    r.number = "+15550200";
    r.caller = "+15557770001";
    r.rung = agents;
    r.visible_to = agents;
    r.at_ms = at;
    return r;
  }
  int64_t card(const std::string& key) { return client_.command({"ZCARD", key})->integer; }
  bool inLedger(const char* ledger, const std::string& key) {
    return client_.command({"ZSCORE", ledger, key})->type != redis::RedisReply::Type::Nil;
  }

  // Records expire by wall time, so they are made "now"; the pass is then run at a later "now"
  // given to it (it has no clock of its own), as the service's timer would much later.
  const int64_t now_ = SystemClock().nowMs();
  const config::RetentionSettings keep_ = shortRetention();  // before store_ and trimmer_
  testing::RedisServer server_;
  redis::HiredisClient client_{endpoint()};
  NotificationStore store_{client_, keep_};
  IndexTrimmer trimmer_{client_, keep_};
};

TEST_F(IndexTrimIntegration, AnIdleAgentsIndexesAreTrimmedWithoutThatAgentDoingAnything) {
  // "idle" got a text, claimed one and answered a call; then never came back.
  ASSERT_TRUE(store_.record(text("t-idle", {"idle"}, now_)).value());
  ASSERT_TRUE(store_.record(text("t-claimed", {"idle"}, now_)).value());
  ASSERT_EQ(store_.claim("t-claimed", "idle", ClaimAction::TextBack, now_).value().outcome,
            ClaimOutcome::Won);
  NotificationRecord answered = text("a-idle", {"idle"}, now_);
  answered.kind = NotificationKind::AnsweredCall;
  answered.claimed = true;
  answered.claimed_by = "idle";
  answered.claim_action = "answered";
  ASSERT_TRUE(store_.record(answered).value());
  // "busy" got a text later, inside the unclaimed retention at the pass's "now".
  ASSERT_TRUE(store_.record(text("t-busy", {"busy"}, now_ + 100000)).value());

  for (const auto& key : {nk::agentUnclaimed("idle"), nk::agentUnclaimed("busy")}) {
    EXPECT_TRUE(inLedger(nk::kTrimLedgerUnclaimed, key)) << key;
  }
  for (const auto& key : {nk::agentClaimed("idle"), nk::agentAnswered("idle")}) {
    EXPECT_TRUE(inLedger(nk::kTrimLedgerHandled, key)) << key;
  }
  ASSERT_EQ(card(nk::agentUnclaimed("idle")), 1);
  ASSERT_EQ(card(nk::agentClaimed("idle")), 1);
  ASSERT_EQ(card(nk::agentAnswered("idle")), 1);

  // 130 s later: past both retentions for idle's entries (now_), not for busy's (now_ + 100 s).
  auto pass = trimmer_.trimOldest(now_ + 130000, 200, 0);
  ASSERT_TRUE(pass.ok()) << pass.error().describe();
  EXPECT_EQ(pass->entries, 4);  // idle's three entries, and t-idle's in the global index
  EXPECT_EQ(client_
                .command({"EXISTS", nk::agentUnclaimed("idle"), nk::agentClaimed("idle"),
                          nk::agentAnswered("idle")})
                ->integer,
            0);
  EXPECT_FALSE(inLedger(nk::kTrimLedgerUnclaimed, nk::agentUnclaimed("idle")));
  EXPECT_FALSE(inLedger(nk::kTrimLedgerHandled, nk::agentClaimed("idle")));
  EXPECT_FALSE(inLedger(nk::kTrimLedgerHandled, nk::agentAnswered("idle")));
  // busy's entry is inside the retention: kept, and its index stays in the ledger, re-scored.
  EXPECT_EQ(card(nk::agentUnclaimed("busy")), 1);
  EXPECT_EQ(client_.command({"ZSCORE", nk::kTrimLedgerUnclaimed, nk::agentUnclaimed("busy")})->text,
            std::to_string(now_ + 130000));
  // The global unclaimed index keeps t-busy only (t-idle was past the unclaimed retention).
  int64_t unclaimed = 0;
  for (const auto& shard : nk::allUnclaimedShards()) unclaimed += card(shard);
  EXPECT_EQ(unclaimed, 1);
  EXPECT_EQ(client_.command({"ZSCORE", nk::unclaimedOf("t-busy"), "t-busy"})->type,
            redis::RedisReply::Type::String);
}

TEST_F(IndexTrimIntegration, APassTrimsAtMostItsBatchOldestFirstAndSkipsRecentlyTrimmed) {
  // Five agents' text indexes, written 1 s apart: a-0 is the least recently trimmed.
  for (int i = 0; i < 5; ++i) {
    std::string agent = "a-" + std::to_string(i);
    ASSERT_TRUE(store_.record(text("t-" + agent, {agent}, now_ + i * 1000)).value());
  }
  int64_t later = now_ + 200000;  // every entry is past the unclaimed retention
  auto first = trimmer_.trimOldest(later, 2, 0);
  ASSERT_TRUE(first.ok()) << first.error().describe();
  // The unclaimed ledger's two oldest: a-0's index (scored now_, and before the account-wide
  // shard of t-a-0 at the same score: ties go by key) and one more written at now_ or now_ + 1 s;
  // a-2..a-4, written later, are untouched.
  EXPECT_EQ(first->indexes, 2);
  EXPECT_EQ(card(nk::agentUnclaimed("a-0")), 0);
  for (const char* a : {"a-2", "a-3", "a-4"}) EXPECT_EQ(card(nk::agentUnclaimed(a)), 1) << a;

  // An index trimmed (or written) less than min_age ago is not due.
  auto none = trimmer_.trimOldest(now_ + 4500, 10, 1000);
  ASSERT_TRUE(none.ok());
  // Due: what was last written or trimmed before now_ + 3.5 s (a-4's index, at now_ + 4 s, is not).
  EXPECT_GE(none->indexes, 2);
  EXPECT_EQ(none->entries, 0);  // inside the retention at that "now"
  for (const char* a : {"a-2", "a-3", "a-4"}) EXPECT_EQ(card(nk::agentUnclaimed(a)), 1) << a;

  // Enough passes empty everything and leave both ledgers empty: nothing grows for ever.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(trimmer_.trimOldest(later + i, 2, 0).ok());
  for (const char* a : {"a-2", "a-3", "a-4"}) EXPECT_EQ(card(nk::agentUnclaimed(a)), 0) << a;
  for (const auto& shard : nk::allUnclaimedShards()) EXPECT_EQ(card(shard), 0) << shard;
  EXPECT_EQ(card(nk::kTrimLedgerUnclaimed), 0);
  EXPECT_EQ(card(nk::kTrimLedgerHandled), 0);
}

}  // namespace
}  // namespace callmesh::notification
