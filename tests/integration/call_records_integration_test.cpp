// Issue 20 against a real redis-server: call detail records (idempotent on the Call-ID, indexed,
// paged, retained), the webhook queue (outbox, fan-out, lease, retry, dead letters) and outbound
// outcomes written back for seed 002_39a4312a6c94260d.txt's outcome-chosen number.
#include <gtest/gtest.h>

#include "services/notification/call_record_store.h"
#include "services/notification/outbound_outcome.h"
#include "services/notification/webhook_book.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/testing/redis_server.h"
#include "tests/integration/sample_call_record.h"

namespace callmesh::notification {
namespace {

using nlohmann::json;

class CallRecordsIntegration : public ::testing::Test {
 protected:
  redis::RedisEndpoint endpoint() { return {server_.host(), server_.port(), 2000}; }
  CallRecord call(const std::string& id, int64_t ended, const std::string& outcome,
                  const std::string& number = "+15550100", const std::string& agent = "alice") {
    CallRecord r = testing_records::sampleCallRecord(id, ended, outcome, number, agent);
    r.trace = {"why " + id};
    return r;
  }
  std::vector<std::string> ids(const CallRecordPage& page) {
    std::vector<std::string> out;
    for (const auto& r : page.records) out.push_back(r.value("call_id", ""));
    return out;
  }

  testing::RedisServer server_;
  redis::HiredisClient redis_{endpoint()};
  const int64_t now_ = 1700000000000;
};

TEST_F(CallRecordsIntegration, OneRecordPerCallEvenWhenTheEndIsResent) {
  CallRecordStore store(redis_, config::CallRecordSettings{});
  EXPECT_TRUE(store.write(call("c1", now_, "busy")).value());
  EXPECT_FALSE(store.write(call("c1", now_, "busy")).value());
  EXPECT_EQ(redis_.command({"XLEN", redis::record_keys::kStream})->integer, 1);
  EXPECT_EQ(redis_.command({"ZCARD", redis::record_keys::byOutcome("busy")})->integer, 1);
  auto got = store.get("c1").value();
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["trace"], json::array({"why c1"}));
  EXPECT_FALSE(store.get("nope").value());
}

TEST_F(CallRecordsIntegration, FiltersByNumberAgentOutcomeAndTimeAndPagesWithACursor) {
  CallRecordStore store(redis_, config::CallRecordSettings{});
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(store
                    .write(call("c" + std::to_string(i), now_ + i, i % 2 ? "answered" : "busy",
                                i < 5 ? "+15550100" : "+15550200", i % 3 ? "alice" : "bob"))
                    .ok());
  }
  auto first = store.query({}, "", 4).value();
  EXPECT_EQ(ids(first), (std::vector<std::string>{"c9", "c8", "c7", "c6"}));
  auto second = store.query({}, first.next_cursor, 4).value();
  EXPECT_EQ(ids(second), (std::vector<std::string>{"c5", "c4", "c3", "c2"}));
  auto last = store.query({}, second.next_cursor, 4).value();
  EXPECT_EQ(ids(last), (std::vector<std::string>{"c1", "c0"}));
  EXPECT_TRUE(last.next_cursor.empty());
  EXPECT_EQ(ids(store.query({"+15550100", "", "busy", 0, 0}, "", 50).value()),
            (std::vector<std::string>{"c4", "c2", "c0"}));
  EXPECT_EQ(ids(store.query({"", "bob", "", 0, 0}, "", 50).value()),
            (std::vector<std::string>{"c9", "c6", "c3", "c0"}));
  EXPECT_EQ(ids(store.query({"", "", "answered", now_ + 3, now_ + 7}, "", 50).value()),
            (std::vector<std::string>{"c7", "c5", "c3"}));
  EXPECT_EQ(store.query({}, "garbage", 5).error().kind, ErrorKind::InvalidInput);
}

TEST_F(CallRecordsIntegration, IndexesAreTrimmedToRetentionAndTrimmedEntriesDropOutOfPages) {
  config::CallRecordSettings s;
  s.retention_ms = 1000;
  CallRecordStore store(redis_, s);
  ASSERT_TRUE(store.write(call("old", now_, "busy")).ok());
  ASSERT_TRUE(store.write(call("new", now_ + 5000, "busy")).ok());
  EXPECT_EQ(redis_.command({"ZCARD", redis::record_keys::kByTime})->integer, 1);
  EXPECT_GT(redis_.command({"PTTL", redis::record_keys::byNumber("+15550100")})->integer, 0);
  EXPECT_GT(redis_.command({"PTTL", redis::record_keys::call("new")})->integer, 0);
  // An entry trimmed from the stream is skipped and removed from the index it was found in.
  ASSERT_TRUE(redis_.command({"XTRIM", redis::record_keys::kStream, "MAXLEN", "0"}).ok());
  EXPECT_TRUE(store.query({}, "", 10).value().records.empty());
  EXPECT_EQ(redis_.command({"ZCARD", redis::record_keys::kByTime})->integer, 0);
}

TEST_F(CallRecordsIntegration, WebhookEventsAreQueuedOnlyWhileSubscribedAndOnlyOnFirstWrite) {
  CallRecordStore store(redis_, config::CallRecordSettings{});
  ASSERT_TRUE(store.write(call("before", now_, "busy")).ok());
  EXPECT_EQ(redis_.command({"LLEN", redis::webhook_keys::kOutbox})->integer, 0);
  WebhookBook book(redis_, config::WebhookSettings{});
  auto sub = book.subscribe("http://127.0.0.1:9/h", {"call.missed"}, "root", now_);
  ASSERT_TRUE(sub.ok());
  auto both = book.subscribe("http://127.0.0.1:9/all", {"call.ended", "call.missed"}, "root", now_);
  ASSERT_TRUE(both.ok());
  ASSERT_TRUE(store.write(call("missed", now_, "busy")).ok());
  ASSERT_TRUE(store.write(call("missed", now_, "busy")).ok());  // re-sent: nothing queued
  ASSERT_TRUE(store.write(call("talked", now_, "answered")).ok());
  EXPECT_EQ(redis_.command({"LLEN", redis::webhook_keys::kOutbox})->integer, 3);
  EXPECT_EQ(book.fanOut(now_, 100).value(), 3);
  // missed -> call.ended (both) + call.missed (sub, both); talked -> call.ended (both).
  EXPECT_EQ(book.queueDepth().value(), 4);
  auto leased = book.claimDue(now_, 10000, 10).value();
  EXPECT_EQ(leased.size(), 4u);
  EXPECT_TRUE(book.claimDue(now_ + 1, 10000, 10).value().empty());  // all leased
  // A leased delivery whose worker died is due again when its lease ends (at least once).
  EXPECT_EQ(book.claimDue(now_ + 10000, 10000, 10).value().size(), 4u);
  for (const auto& d : leased) {
    EXPECT_EQ(json::parse(d.body).value("id", ""), d.event_id) << d.body;
    ASSERT_TRUE(book.succeeded(d).ok());
  }
  EXPECT_EQ(book.queueDepth().value(), 0);
  EXPECT_EQ(book.subscriptions().value().size(), 2u);
  EXPECT_TRUE(book.subscriptions().value()[0].secret.empty());  // never shown again
  EXPECT_EQ(book.subscription(sub->id).value()->secret, sub->secret);
}

// The outbox is queued right after the record (another hash slot, webhook_outbox.h): a crash
// between the two leaves the record without its events; the re-sent end queues them then, once.
TEST_F(CallRecordsIntegration, AResentEndQueuesWhatACrashBeforeTheOutboxLeftOutAndNothingTwice) {
  WebhookBook book(redis_, config::WebhookSettings{});
  ASSERT_TRUE(
      book.subscribe("http://127.0.0.1:9/all", {"call.ended", "call.missed"}, "root", now_).ok());
  CallRecordStore store(redis_, config::CallRecordSettings{});
  ASSERT_TRUE(store.write(call("lost", now_, "busy")).value());
  // As if the first attempt died after its record script: neither event nor marker is there.
  ASSERT_TRUE(redis_
                  .command({"DEL", redis::webhook_keys::kOutbox,
                            redis::webhook_keys::queued("call.ended:lost"),
                            redis::webhook_keys::queued("call.missed:lost")})
                  .ok());
  EXPECT_FALSE(store.write(call("lost", now_, "busy")).value());  // the record was there
  EXPECT_EQ(redis_.command({"LLEN", redis::webhook_keys::kOutbox})->integer, 2);
  EXPECT_FALSE(store.write(call("lost", now_, "busy")).value());
  EXPECT_EQ(redis_.command({"LLEN", redis::webhook_keys::kOutbox})->integer, 2);
  auto first = json::parse(redis_.command({"LINDEX", redis::webhook_keys::kOutbox, "0"})->text);
  EXPECT_EQ(first.value("id", ""), "call.ended:lost");
  EXPECT_GT(redis_.command({"PTTL", redis::webhook_keys::queued("call.ended:lost")})->integer, 0);
}

TEST_F(CallRecordsIntegration, FailedDeliveriesBackOffThenBecomeDeadLetters) {
  config::WebhookSettings s;
  s.first_backoff_ms = 1000;
  s.max_backoff_ms = 1000;
  s.retry_for_ms = 2500;
  WebhookBook book(redis_, s);
  ASSERT_TRUE(book.subscribe("http://127.0.0.1:9/h", {"contact.created"}, "root", now_).ok());
  ASSERT_TRUE(redis_
                  .command({"RPUSH", redis::webhook_keys::kOutbox,
                            R"({"id":"contact.created:k1","type":"contact.created","data":{}})"})
                  .ok());
  ASSERT_TRUE(redis_.command({"RPUSH", redis::webhook_keys::kOutbox, "not json"}).ok());
  EXPECT_EQ(book.fanOut(now_, 10).value(), 2);  // the bad one is taken and dropped
  auto d = book.claimDue(now_, 5000, 10).value();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(book.failed(d[0], "connect refused", now_).value());
  EXPECT_TRUE(book.claimDue(now_ + 999, 5000, 10).value().empty());
  d = book.claimDue(now_ + 1000, 5000, 10).value();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].attempts, 1);
  EXPECT_FALSE(book.failed(d[0], "receiver answered 500", now_ + 1000).value());
  d = book.claimDue(now_ + 2000, 5000, 10).value();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(book.failed(d[0], "receiver answered 503", now_ + 2000).value());
  EXPECT_EQ(book.queueDepth().value(), 0);
  auto dead = book.deadLetters(0, 10).value();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].event_id, "contact.created:k1");
  EXPECT_EQ(dead[0].attempts, 3);
  EXPECT_EQ(dead[0].last_error, "receiver answered 503");
  EXPECT_GT(redis_.command({"PTTL", redis::webhook_keys::delivery(dead[0].id)})->integer, 0);
}

TEST_F(CallRecordsIntegration, SubscriptionsAreCheckedAndCapped) {
  config::WebhookSettings s;
  s.max_subscriptions = 1;
  WebhookBook book(redis_, s);
  EXPECT_EQ(book.subscribe("https://x/", {"call.ended"}, "root", now_).error().context, "url");
  EXPECT_EQ(book.subscribe("http://x/", {"call.exploded"}, "root", now_).error().context, "events");
  EXPECT_EQ(book.subscribe("http://x/", {}, "root", now_).error().context, "events");
  auto one = book.subscribe("http://x/", {"call.ended"}, "root", now_);
  ASSERT_TRUE(one.ok());
  EXPECT_NE(book.subscribe("http://y/", {"call.ended"}, "root", now_)
                .error()
                .message.find("max_subscriptions"),
            std::string::npos);
  EXPECT_TRUE(book.unsubscribe(one->id).value());
  EXPECT_FALSE(book.unsubscribe(one->id).value());
}

// seed 002_39a4312a6c94260d.txt: "the project's outcomes might decide which number should be used
// for the next call": the outcome lands where the router reads it (outcome:<project>), and a late
// re-sent end of an older call does not hide the newer outcome.
TEST_F(CallRecordsIntegration, OutboundOutcomesLandInTheRoutersHistoryNewestWins) {
  OutboundOutcomes outcomes(redis_);
  const std::string key = redis::outbound_keys::callee("+13125550000");
  EXPECT_TRUE(outcomes.record("+13125550000", "renewals", "no_answer", now_ + 10).value());
  EXPECT_FALSE(outcomes.record("+13125550000", "renewals", "answered", now_).value());
  EXPECT_EQ(redis_.command({"HGET", key, "outcome:renewals"})->text, "no_answer");
  EXPECT_TRUE(outcomes.record("+13125550000", "renewals", "busy", now_ + 20).value());
  EXPECT_EQ(redis_.command({"HGET", key, "outcome:renewals"})->text, "busy");
}

}  // namespace
}  // namespace callmesh::notification
