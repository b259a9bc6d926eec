// Call records written a batch per script call against a real redis-server (issue 22: Redis CPU
// per call): each index the batch wrote is trimmed and given its expiry once, after the batch's
// last write to it, and the keys end exactly as when every record trimmed and expired them
// itself; over many batches every index stays bounded by the retention and idle indexes expire.
#include <gtest/gtest.h>

#include <map>

#include "services/notification/call_record_store.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/testing/redis_server.h"
#include "tests/integration/sample_call_record.h"

namespace callmesh::notification {
namespace {

namespace rk = redis::record_keys;

class CallRecordTrimIntegration : public ::testing::Test {
 protected:
  redis::RedisEndpoint endpoint() { return {server_.host(), server_.port(), 2000}; }
  CallRecord call(const std::string& id, int64_t ended, const std::string& outcome,
                  const std::string& number, const std::string& agent) {
    return testing_records::sampleCallRecord(id, ended, outcome, number, agent);
  }
  // The call ids an index holds, oldest first (entry ids mapped to calls through the stream).
  std::vector<std::string> callsIn(const std::string& index) {
    std::map<std::string, std::string> call_of;
    auto stream = redis_.command({"XRANGE", rk::kStream, "-", "+"});
    for (const auto& e : stream->elements) {
      const auto& fields = e.elements[1].elements;
      call_of[e.elements[0].text] = fields[1].text;  // call_id is the first field
    }
    std::vector<std::string> out;
    auto members = redis_.command({"ZRANGE", index, "0", "-1"});
    for (const auto& id : members->elements) {
      out.push_back(call_of.count(id.text) ? call_of[id.text] : "?" + id.text);
    }
    return out;
  }
  int64_t commandCalls(const std::string& name) {
    auto info = redis_.command({"INFO", "commandstats"})->text;
    auto at = info.find("cmdstat_" + name + ":calls=");
    if (at == std::string::npos) return 0;
    return std::stoll(info.substr(at + name.size() + 15));
  }
  std::vector<CallRecord> batch() {
    return {call("r1", now_ + 5000, "answered", "+15550100", "alice"),
            call("r2", now_ + 20000, "busy", "+15550200", "bob"),
            call("r3", now_ + 12000, "answered", "+15550100", "alice"),
            call("r1", now_ + 5000, "answered", "+15550100", "alice")};  // re-sent end
  }
  const std::vector<std::string> indexes_{rk::kByTime,
                                          rk::byOutcome("answered"),
                                          rk::byOutcome("busy"),
                                          rk::byNumber("+15550100"),
                                          rk::byNumber("+15550200"),
                                          rk::byAgent("alice"),
                                          rk::byAgent("bob")};

  testing::RedisServer server_;
  redis::HiredisClient redis_{endpoint()};
  const int64_t now_ = 1700000000000;
  const int64_t retention_ = 10000;
};

TEST_F(CallRecordTrimIntegration, ABatchTrimsAndExpiresEachIndexOnceAfterItsLastWrite) {
  config::CallRecordSettings s;
  s.retention_ms = retention_;
  CallRecordStore store(redis_, s);
  ASSERT_TRUE(store.write(call("old", now_, "busy", "+15550100", "alice")).value());
  ASSERT_TRUE(redis_.command({"CONFIG", "RESETSTAT"}).ok());
  auto wrote = store.writeMany(batch());
  ASSERT_TRUE(wrote.ok()) << wrote.error().describe();
  EXPECT_EQ(wrote.value(), (std::vector<bool>{true, true, true, false}));
  // One record script call and one outbox call for the batch; one MGET for which records exist;
  // per record written its entry and its call key; 3 records x 4 indexes written as one ZADD per
  // index; each of the 7 indexes trimmed and expired once, the stream trimmed once.
  EXPECT_EQ(commandCalls("evalsha"), 2);
  EXPECT_EQ(commandCalls("mget"), 1);
  EXPECT_EQ(commandCalls("get"), 0);
  EXPECT_EQ(commandCalls("xadd"), 3);
  EXPECT_EQ(commandCalls("set"), 3);
  EXPECT_EQ(commandCalls("zadd"), 7);
  EXPECT_EQ(commandCalls("zremrangebyscore"), 7);
  EXPECT_EQ(commandCalls("pexpire"), 7);
  EXPECT_EQ(commandCalls("xtrim"), 1);
  // The batch's newest end (r2, +20 s) trims the all-calls index below +10 s: `old` and r1 go.
  EXPECT_EQ(callsIn(rk::kByTime), (std::vector<std::string>{"r3", "r2"}));
  EXPECT_EQ(callsIn(rk::byOutcome("answered")), (std::vector<std::string>{"r1", "r3"}));
  EXPECT_EQ(callsIn(rk::byOutcome("busy")), (std::vector<std::string>{"r2"}));
  EXPECT_EQ(callsIn(rk::byNumber("+15550100")), (std::vector<std::string>{"r1", "r3"}));
  EXPECT_EQ(callsIn(rk::byNumber("+15550200")), (std::vector<std::string>{"r2"}));
  EXPECT_EQ(callsIn(rk::byAgent("alice")), (std::vector<std::string>{"r1", "r3"}));
  EXPECT_EQ(callsIn(rk::byAgent("bob")), (std::vector<std::string>{"r2"}));
  for (const auto& index : indexes_) {
    int64_t ttl = redis_.command({"PTTL", index})->integer;
    EXPECT_GT(ttl, 0) << index;
    EXPECT_LE(ttl, retention_) << index;
  }
  EXPECT_EQ(redis_.command({"XLEN", rk::kStream})->integer, 4);
}

TEST_F(CallRecordTrimIntegration, TheKeysEndAsWhenEachRecordWasWrittenAlone) {
  config::CallRecordSettings s;
  s.retention_ms = retention_;
  std::map<std::string, std::vector<std::string>> one_by_one;
  {
    CallRecordStore store(redis_, s);
    ASSERT_TRUE(store.write(call("old", now_, "busy", "+15550100", "alice")).value());
    for (const auto& r : batch()) ASSERT_TRUE(store.write(r).ok());
    for (const auto& index : indexes_) one_by_one[index] = callsIn(index);
  }
  ASSERT_TRUE(redis_.command({"FLUSHALL"}).ok());
  CallRecordStore store(redis_, s);
  ASSERT_TRUE(store.write(call("old", now_, "busy", "+15550100", "alice")).value());
  ASSERT_TRUE(store.writeMany(batch()).ok());
  for (const auto& index : indexes_) EXPECT_EQ(callsIn(index), one_by_one[index]) << index;
}

// 50 batches of 20 records, a record a second: every index holds the records of the last
// retention only (10 s: the newest and the 10 before it, as the horizon is kept), whatever the
// batch; an index no batch writes any more expires.
TEST_F(CallRecordTrimIntegration, IndexesStayBoundedByTheRetentionOverManyBatches) {
  config::CallRecordSettings s;
  s.retention_ms = retention_;
  CallRecordStore store(redis_, s);
  ASSERT_TRUE(store.write(call("idle", now_, "busy", "+15550999", "carol")).value());
  int64_t at = now_;
  for (int b = 0; b < 50; ++b) {
    std::vector<CallRecord> records;
    for (int i = 0; i < 20; ++i) {
      at += 1000;
      records.push_back(call("c" + std::to_string(b * 20 + i), at, i % 2 ? "answered" : "busy",
                             "+15550100", "alice"));
    }
    ASSERT_TRUE(store.writeMany(records).ok());
    EXPECT_EQ(redis_.command({"ZCARD", rk::kByTime})->integer, 11) << "batch " << b;
    EXPECT_EQ(redis_.command({"ZCARD", rk::byNumber("+15550100")})->integer, 11) << "batch " << b;
    EXPECT_EQ(redis_.command({"ZCARD", rk::byOutcome("busy")})->integer, 6) << "batch " << b;
  }
  EXPECT_EQ(callsIn(rk::kByTime).back(), "c999");
  EXPECT_EQ(callsIn(rk::kByTime).front(), "c989");
  // The idle number's and agent's indexes were never written again: their expiry is the one
  // their only write gave them, at most the retention.
  for (const auto& idle : {rk::byNumber("+15550999"), rk::byAgent("carol")}) {
    int64_t ttl = redis_.command({"PTTL", idle})->integer;
    EXPECT_GT(ttl, 0) << idle;
    EXPECT_LE(ttl, retention_) << idle;
  }
}

}  // namespace
}  // namespace callmesh::notification
