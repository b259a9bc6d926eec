// Call records of an event batch written together (CallRecordStore::writeMany) against a real
// redis-server: the same records, flags and webhook events as one write() each, in two round
// trips for the whole batch, and never an event for a record that was not acknowledged.
#include <gtest/gtest.h>

#include "services/notification/call_record_store.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/testing/redis_server.h"
#include "tests/integration/sample_call_record.h"

namespace callmesh::notification {
namespace {

// Counts the round trips the store makes through it.
class CountingClient final : public redis::RedisClient {
 public:
  explicit CountingClient(redis::RedisClient& real) : real_(real) {}
  Result<redis::RedisReply> command(const std::vector<std::string>& argv) override {
    ++round_trips;
    return real_.command(argv);
  }
  Result<std::vector<redis::RedisReply>> pipeline(
      const std::vector<std::vector<std::string>>& commands) override {
    ++round_trips;
    return real_.pipeline(commands);
  }
  Result<redis::RedisReply> evalScript(redis::RedisScript& script,
                                       const std::vector<std::string>& keys,
                                       const std::vector<std::string>& args) override {
    ++round_trips;
    return real_.evalScript(script, keys, args);
  }
  bool connected() const override { return real_.connected(); }
  int round_trips = 0;

 private:
  redis::RedisClient& real_;
};

class CallRecordBatchIntegration : public ::testing::Test {
 protected:
  redis::RedisEndpoint endpoint() { return {server_.host(), server_.port(), 2000}; }
  CallRecord call(const std::string& id, const std::string& outcome) {
    return testing_records::sampleCallRecord(id, now_, outcome);
  }
  int64_t outboxLength() { return redis_.command({"LLEN", redis::webhook_keys::kOutbox})->integer; }

  testing::RedisServer server_;
  redis::HiredisClient redis_{endpoint()};
  const int64_t now_ = 1700000000000;
};

TEST_F(CallRecordBatchIntegration, ABatchIsTwoRoundTripsWithEveryRecordAndEvent) {
  ASSERT_TRUE(redis_.command({"SADD", redis::webhook_keys::kSubscriptions, "hook-1"}).ok());
  CountingClient counting(redis_);
  CallRecordStore store(counting, config::CallRecordSettings{});
  ASSERT_TRUE(store.write(call("c0", "answered")).value());  // loads both scripts
  ASSERT_EQ(outboxLength(), 1);                              // call.ended
  counting.round_trips = 0;
  auto wrote = store.writeMany(
      {call("c1", "answered"), call("c2", "busy"), call("c0", "answered"), call("c3", "busy")});
  ASSERT_TRUE(wrote.ok()) << wrote.error().describe();
  EXPECT_EQ(wrote.value(), (std::vector<bool>{true, true, false, true}));  // c0 was there
  EXPECT_EQ(counting.round_trips, 2);
  EXPECT_EQ(redis_.command({"XLEN", redis::record_keys::kStream})->integer, 4);
  EXPECT_EQ(redis_.command({"ZCARD", redis::record_keys::byOutcome("busy")})->integer, 2);
  // c1 ended; c2 and c3 ended and missed; c0's events were queued with its first write.
  EXPECT_EQ(outboxLength(), 1 + 1 + 2 + 2);
  auto got = store.get("c2").value();
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)["outcome"], "busy");
}

// A record the replicas did not confirm is not acknowledged, and its webhook events wait for the
// retry: none is queued for a record that may be lost in a failover.
TEST_F(CallRecordBatchIntegration, UnconfirmedRecordsQueueNoWebhookEvents) {
  ASSERT_TRUE(redis_.command({"SADD", redis::webhook_keys::kSubscriptions, "hook-1"}).ok());
  CallRecordStore store(redis_, config::CallRecordSettings{}, redis::ReplicaAck{1, 20});
  auto wrote = store.writeMany({call("c1", "busy"), call("c2", "answered")});
  ASSERT_FALSE(wrote.ok());
  EXPECT_EQ(wrote.error().kind, ErrorKind::Timeout);
  EXPECT_EQ(outboxLength(), 0);
}

}  // namespace
}  // namespace callmesh::notification
