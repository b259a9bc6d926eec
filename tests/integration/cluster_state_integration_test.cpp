// Every service's Redis state on a real Redis Cluster (3 masters + 3 replicas started by the test)
// through ClusterClient: presence's per-slot path leaves exactly the state the single-Redis batch
// script leaves for the same events; follow-up records, claims and the sharded unclaimed index;
// the limiter's caps (per number and per account); contacts; call records and webhooks (all
// their keys in one slot each, `{cdr}` and `{webhooks}`).
#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "services/agent-presence/presence_ledger.h"
#include "services/concurrency-limiter/slot_ledger.h"
#include "services/notification/call_record_store.h"
#include "services/notification/contact_book.h"
#include "services/notification/notification_store.h"
#include "services/notification/webhook_book.h"
#include "shared/base/clock.h"
#include "shared/redis/cluster_client.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/testing/redis_cluster.h"
#include "shared/testing/redis_server.h"

namespace callmesh {
namespace {

class ClusterStateIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new testing::RedisCluster(3); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  static testing::RedisCluster* cluster_;
  redis::ClusterClient client_{cluster_->endpoint(2000)};
};

testing::RedisCluster* ClusterStateIntegration::cluster_ = nullptr;

// A key's content as text (hash fields or set members sorted) and whether it expires within the
// hour, the day, or never: what two stores must agree on.
std::string describe(redis::RedisClient& c, const std::string& key) {
  std::string type = c.command({"TYPE", key})->text;
  std::vector<std::string> items;
  if (type == "hash") {
    auto h = c.command({"HGETALL", key}).value();
    for (size_t i = 0; i + 1 < h.elements.size(); i += 2) {
      items.push_back(h.elements[i].text + "=" + h.elements[i + 1].text);
    }
  } else if (type == "set") {
    auto members = c.command({"SMEMBERS", key}).value();
    for (const auto& m : members.elements) items.push_back(m.text);
  }
  std::sort(items.begin(), items.end());
  int64_t ttl = c.command({"TTL", key})->integer;
  std::string text = type + " ttl:" + (ttl < 0 ? "none" : ttl <= 3600 ? "hour" : "day") + " ";
  for (const auto& i : items) text += i + ";";
  return text;
}

// Calls with agents ringing, answering, failing, ending; with duplicates and some events out of
// order (at-least-once delivery), deterministic.
std::vector<agent_presence::LineEvent> callEvents() {
  using K = agent_presence::LineEvent::Kind;
  std::vector<agent_presence::LineEvent> events;
  std::minstd_rand rng(18);
  const std::vector<std::string> agents{"alice", "bob", "carol", "dave", "erin", "frank"};
  for (int c = 0; c < 40; ++c) {
    const std::string call = "cl-" + std::to_string(c) + "@gw";
    const std::string number = "+1555000" + std::to_string(c % 4);
    int64_t t = 1000 + c * 10;
    std::vector<agent_presence::LineEvent> mine;
    mine.push_back({K::Offered, call, number, {}, t, "+15557770000", "rule-a"});
    std::string a1 = agents[rng() % agents.size()];
    std::string a2 = agents[rng() % agents.size()];
    mine.push_back({K::LegRinging, call, {}, a1, t + 1, {}, {}});
    mine.push_back({K::LegRinging, call, {}, a2, t + 2, {}, {}});
    switch (c % 4) {
      case 0:  // answered by the first, the second stops ringing
        mine.push_back({K::Answered, call, {}, a1, t + 3, {}, {}});
        mine.push_back({K::LegFailed, call, {}, a2, t + 3, {}, {}});
        mine.push_back({K::Ended, call, {}, {}, t + 5, {}, {}});
        break;
      case 1:  // nobody answers
        mine.push_back({K::LegFailed, call, {}, a1, t + 4, {}, {}});
        mine.push_back({K::Ended, call, {}, {}, t + 5, {}, {}});
        break;
      case 2:  // answered and still up
        mine.push_back({K::Answered, call, {}, a2, t + 3, {}, {}});
        break;
      default:  // answered at a phone without an agent, ends while the agents ring
        mine.push_back({K::Answered, call, {}, {}, t + 3, {}, {}});
        mine.push_back({K::Ended, call, {}, {}, t + 5, {}, {}});
    }
    if (c % 5 == 0) mine.push_back(mine[1]);      // a redelivered ringing
    if (c % 7 == 0) mine.push_back(mine.back());  // a redelivered last event
    if (c % 6 == 0 && mine.size() > 3) std::swap(mine[1], mine[2]);
    events.insert(events.end(), mine.begin(), mine.end());
  }
  return events;
}

TEST_F(ClusterStateIntegration, PresenceLeavesTheSameStateAsTheBatchScriptOnOneRedis) {
  testing::RedisServer single;
  redis::HiredisClient one{{single.host(), single.port(), 2000}};
  agent_presence::PresenceLedger on_one(one);
  agent_presence::PresenceLedger on_cluster(client_);
  auto events = callEvents();
  for (size_t at = 0; at < events.size(); at += 37) {
    std::vector<agent_presence::LineEvent> batch(events.begin() + at,
                                                 events.begin() + std::min(events.size(), at + 37));
    auto a = on_one.applyEvents(batch);
    auto b = on_cluster.applyEvents(batch);
    ASSERT_TRUE(a.ok()) << a.error().describe();
    ASSERT_TRUE(b.ok()) << b.error().describe();
    for (size_t i = 0; i < batch.size(); ++i) {
      ASSERT_TRUE((*a)[i].ok()) << (*a)[i].error().describe();
      ASSERT_TRUE((*b)[i].ok()) << (*b)[i].error().describe();
      auto x = (*a)[i].value();
      auto y = (*b)[i].value();
      std::sort(x.begin(), x.end());
      std::sort(y.begin(), y.end());
      EXPECT_EQ(x, y) << "event " << at + i << " of call " << batch[i].call_id;
    }
  }
  std::set<std::string> keys;
  std::set<int> masters;
  for (const auto& e : events) {
    keys.insert(redis::presence_keys::call(e.call_id));
    if (!e.agent_id.empty()) keys.insert(redis::presence_keys::agent(e.agent_id));
    if (!e.number.empty()) keys.insert(redis::presence_keys::numberOnCall(e.number));
  }
  for (const auto& k : keys) {
    EXPECT_EQ(describe(client_, k), describe(one, k)) << k;
    masters.insert(cluster_->masterPortOf(redis::keySlot(k)));
  }
  EXPECT_EQ(masters.size(), 3u);  // the state really is spread over every master
  // Ten calls are still up (answered, not ended): two agents or more are on a call.
  int64_t on_call = 0;
  auto agents = on_cluster.agents({"alice", "bob", "carol", "dave", "erin", "frank"}).value();
  for (const auto& a : agents) {
    on_call += a.on_call;
    auto same = on_one.agents({a.agent_id}).value();
    ASSERT_EQ(same.size(), 1u);
    EXPECT_EQ(a.ringing, same[0].ringing) << a.agent_id;
  }
  EXPECT_EQ(on_call, 10);
}

notification::NotificationRecord missed(const std::string& id, int64_t at_ms) {
  notification::NotificationRecord r;
  r.id = id;
  r.kind = notification::NotificationKind::MissedCall;
  r.number = "+15550200";
  r.caller = "+15557770001";
  r.rung = {"alice", "bob"};
  r.visible_to = {"alice", "bob"};
  r.at_ms = at_ms;
  return r;
}

TEST_F(ClusterStateIntegration, RecordsClaimsAndTheShardedUnclaimedListOnTheCluster) {
  namespace nk = redis::notification_keys;
  notification::NotificationStore store(client_, config::RetentionSettings{},
                                        redis::ReplicaAck{1, 1000});
  const int64_t now = SystemClock().nowMs();
  for (int i = 0; i < 45; ++i) {
    auto created = store.record(missed("m-" + std::to_string(i), now - 1000 + i / 3));
    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_TRUE(created.value());
  }
  EXPECT_FALSE(store.record(missed("m-0", now - 1000)).value());  // redelivered: no second
  EXPECT_EQ(store.unclaimedCount().value(), 45);
  std::set<int> masters;
  for (const auto& shard : nk::allUnclaimedShards()) {
    masters.insert(cluster_->masterPortOf(redis::keySlot(shard)));
  }
  EXPECT_EQ(masters.size(), 3u);

  // Two agents claim every fifth record at once, on their own connections: one wins each.
  std::atomic<int> won{0};
  std::atomic<int> held{0};
  auto claimer = [&](const std::string& agent) {
    redis::ClusterClient own(cluster_->endpoint(2000));
    notification::NotificationStore s(own, config::RetentionSettings{}, redis::ReplicaAck{1, 1000});
    for (int i = 0; i < 45; i += 5) {
      auto r = s.claim("m-" + std::to_string(i), agent, notification::ClaimAction::CallBack, now);
      ASSERT_TRUE(r.ok()) << r.error().describe();
      if (r->outcome == notification::ClaimOutcome::Won) ++won;
      if (r->outcome == notification::ClaimOutcome::HeldByOther) ++held;
    }
  };
  std::thread a(claimer, "alice");
  std::thread b(claimer, "bob");
  a.join();
  b.join();
  EXPECT_EQ(won.load(), 9);
  EXPECT_EQ(held.load(), 9);
  EXPECT_EQ(store.unclaimedCount().value(), 36);

  // Pages of 7 merged over the shards: every unclaimed record once, newest first.
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = store.listUnclaimed(cursor, 7);
    ASSERT_TRUE(page.ok()) << page.error().describe();
    for (const auto& r : page->records) seen.push_back(r.id);
    cursor = page->next_cursor;
    ASSERT_LT(++pages, 20);
  } while (!cursor.empty());
  ASSERT_EQ(seen.size(), 36u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 36u);
  for (size_t i = 1; i < seen.size(); ++i) {
    int prev = std::stoi(seen[i - 1].substr(2)) / 3;
    int cur = std::stoi(seen[i].substr(2)) / 3;
    EXPECT_GE(prev, cur) << seen[i - 1] << " before " << seen[i];
  }
  for (const auto& id : seen) EXPECT_NE(std::stoi(id.substr(2)) % 5, 0) << id;
  // Each agent's list: every unclaimed missed call, and what they won.
  auto alice = store.listForAgent("alice", notification::AgentList::Claimed, "", 50);
  auto bob = store.listForAgent("bob", notification::AgentList::Claimed, "", 50);
  ASSERT_TRUE(alice.ok() && bob.ok());
  EXPECT_EQ(alice->records.size() + bob->records.size(), 9u);
  auto open = store.listForAgent("alice", notification::AgentList::Open, "", 100);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->records.size(), 36u);
}

TEST_F(ClusterStateIntegration, CapsHoldPerNumberAndPerAccount) {
  concurrency_limiter::CapPolicy caps(5, {},
                                      {{"+15550301", {"acme", 3}}, {"+15550302", {"acme", 3}}});
  concurrency_limiter::SlotLedger ledger(client_, caps, 30000);
  int granted = 0;
  for (int i = 0; i < 8; ++i) {
    auto s = ledger.acquire("+15550300", "own-" + std::to_string(i), {});
    ASSERT_TRUE(s.ok()) << s.error().describe();
    granted += s->granted;
  }
  EXPECT_EQ(granted, 5);
  granted = 0;
  for (int i = 0; i < 6; ++i) {
    auto s = ledger.acquire(i % 2 ? "+15550301" : "+15550302", "acct-" + std::to_string(i), {});
    ASSERT_TRUE(s.ok()) << s.error().describe();
    granted += s->granted;
  }
  EXPECT_EQ(granted, 3);  // the account's cap across both numbers
  ASSERT_TRUE(ledger.release("+15550300", "own-0").value());
  EXPECT_TRUE(ledger.acquire("+15550300", "own-8", {}).value().granted);
}

TEST_F(ClusterStateIntegration, ContactsAndTheirNumberIndexesWithoutACrossSlotTransaction) {
  notification::ContactBook book(client_);
  notification::Contact c;
  c.name = "Ada";
  c.numbers = {"+15557770101", "+15557770102"};
  auto made = book.create(c, 1000);
  ASSERT_TRUE(made.ok()) << made.error().describe();
  auto found = book.byNumber("+15557770102");
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].name, "Ada");
  ASSERT_TRUE(book.remove(made->id).value());
  EXPECT_TRUE(book.byNumber("+15557770101")->empty());
}

// Issue 20 on the cluster: the call record script (its keys all `{cdr}`) and the webhook scripts
// (all `{webhooks}`) each run in one slot; the events are queued after the facts they report
// (record, notification, claim, contact) and fan out to one delivery per event.
TEST_F(ClusterStateIntegration, CallRecordsAndWebhookEventsWithSingleSlotScripts) {
  const int64_t now = SystemClock().nowMs();  // the record expires by the wall clock
  notification::WebhookBook book(client_, config::WebhookSettings{});
  auto sub = book.subscribe("http://127.0.0.1:9/h",
                            {"call.ended", "call.missed", "notification.created",
                             "notification.claimed", "contact.created"},
                            "root", now);
  ASSERT_TRUE(sub.ok()) << sub.error().describe();
  notification::CallRecordStore records(client_, config::CallRecordSettings{});
  notification::CallRecord r;
  r.call_id = "cdr-on-cluster";
  r.kind = "voice";
  r.number = "+15550100";
  r.caller = "+15557770001";
  r.ended_at_ms = now;
  r.outcome = "busy";
  r.end_reason = "busy";
  r.legs.push_back(notification::CallRecordLeg{"+15550199", "alice", "sip:x", 486, true, "busy"});
  auto wrote = records.write(r);
  ASSERT_TRUE(wrote.ok()) << wrote.error().describe();
  EXPECT_TRUE(*wrote);
  EXPECT_FALSE(records.write(r).value());  // re-sent end: no second record, no second event
  auto got = records.get("cdr-on-cluster");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((**got).value("outcome", ""), "busy");
  notification::NotificationStore store(client_, config::RetentionSettings{});
  notification::NotificationRecord n;
  n.id = "notif-hooked";
  n.kind = notification::NotificationKind::MissedCall;
  n.number = "+15550100";
  n.caller = "+15557770001";
  n.rung = {"alice"};
  n.visible_to = {"alice"};
  n.at_ms = now;
  ASSERT_TRUE(store.record(n).value());
  auto claimed = store.claim("notif-hooked", "alice", notification::ClaimAction::CallBack, now + 1);
  ASSERT_TRUE(claimed.ok()) << claimed.error().describe();
  EXPECT_TRUE(claimed->first);
  ASSERT_TRUE(
      store.claim("notif-hooked", "alice", notification::ClaimAction::CallBack, now + 2).ok());
  notification::ContactBook contacts(client_);
  notification::Contact c;
  c.name = "Hooked";
  c.numbers = {"+15557770201"};
  ASSERT_TRUE(contacts.create(c, now).ok());
  // call.ended, call.missed, notification.created, notification.claimed, contact.created.
  EXPECT_EQ(client_.command({"LLEN", redis::webhook_keys::kOutbox})->integer, 5);
  auto fanned = book.fanOut(now + 3, 100);
  ASSERT_TRUE(fanned.ok()) << fanned.error().describe();
  EXPECT_EQ(*fanned, 5);
  auto due = book.claimDue(now + 3, 10000, 10).value();
  std::set<std::string> types;
  for (const auto& d : due) types.insert(d.type);
  EXPECT_EQ(types, (std::set<std::string>{"call.ended", "call.missed", "notification.created",
                                          "notification.claimed", "contact.created"}));
  for (const auto& d : due) ASSERT_TRUE(book.succeeded(d).ok());
  EXPECT_EQ(book.queueDepth().value(), 0);
}

}  // namespace
}  // namespace callmesh
