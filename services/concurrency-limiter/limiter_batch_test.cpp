// LimiterService::handleBatch: the requests that queued while the limiter waited on Redis.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <capnp/message.h>
#include <prometheus/registry.h>

#include "schemas/limiter.capnp.h"
#include "services/concurrency-limiter/limiter_service.h"
#include "shared/codec/capnp_codec.h"
#include "shared/testing/mock_redis_client.h"

namespace callmesh::concurrency_limiter {
namespace {

using redis::RedisReply;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::InSequence;
using ::testing::Return;
using ::testing::StrictMock;

zmq::message_t frameOf(capnp::MallocMessageBuilder& mb) {
  auto words = codec::encode(mb);
  auto bytes = words.asBytes();
  return zmq::message_t(bytes.begin(), bytes.size());
}

zmq::message_t acquireFrame(const std::string& number, const std::string& call_id) {
  capnp::MallocMessageBuilder mb;
  auto a = mb.initRoot<schema::LimiterRequest>().initAcquire();
  a.setNumber(number);
  a.setCallId(call_id);
  return frameOf(mb);
}

zmq::message_t releaseFrame(const std::string& number, const std::string& call_id) {
  capnp::MallocMessageBuilder mb;
  auto r = mb.initRoot<schema::LimiterRequest>().initRelease();
  r.setNumber(number);
  r.setCallId(call_id);
  return frameOf(mb);
}

RedisReply pair(int64_t a, int64_t b) {
  return RedisReply::ofArray({RedisReply::ofInteger(a), RedisReply::ofInteger(b)});
}

struct Fixture {
  StrictMock<testing::MockRedisClient> redis;
  CapPolicy caps{50, {{"+15550100", 2}}};
  SlotLedger ledger{redis, caps, 30000};
  prometheus::Registry registry;
  LimiterMetrics metrics{registry, {{"+15550100", 2}}, 50};
  Logger log{"test", LogLevel::Error};
  LimiterService service{ledger, metrics, log};

  // The first acquire loads the script (the plain path).
  void loadScript() {
    EXPECT_CALL(redis, evalScript(_, _, _)).WillOnce([](redis::RedisScript& script, auto&, auto&) {
      script.sha = "sha-acquire";
      return pair(1, 1);
    });
    ASSERT_TRUE(service.handle(acquireFrame("+15550100", "c0")).ok());
    ::testing::Mock::VerifyAndClearExpectations(&redis);
  }
};

schema::LimiterReply::Reader replyOf(const Result<std::vector<uint8_t>>& out,
                                     std::unique_ptr<codec::Decoded<schema::LimiterReply>>& keep) {
  if (!out.ok()) {
    ADD_FAILURE() << out.error().describe();
    return {};
  }
  auto decoded = codec::decode<schema::LimiterReply>(out->data(), out->size(), "LimiterReply");
  if (!decoded.ok()) {
    ADD_FAILURE() << decoded.error().describe();
    return {};
  }
  keep = std::move(decoded.value());
  return keep->root();
}

// seed 004_ee4e98a6a7f6781b.txt (50-call cap, here 2): three acquires waiting together, on two
// numbers, are one Redis round trip and one run script (its first use loads it with no ask),
// each decided and answered on its own with its own number's cap.
TEST(LimiterBatch, WaitingAcquiresShareOneRoundTripAndEachGetsItsAnswer) {
  Fixture f;
  f.loadScript();
  std::vector<std::vector<std::string>> sent;
  EXPECT_CALL(f.redis, evalScript(_, ElementsAre("cm:{+15550100}:slots"), ElementsAre("30000")))
      .WillOnce([](redis::RedisScript& script, auto&, auto&) {
        script.sha = "sha-run";
        return RedisReply::ofArray({});
      });
  EXPECT_CALL(f.redis, pipeline(_))
      .WillOnce([&](const std::vector<std::vector<std::string>>& commands) {
        sent = commands;
        return std::vector<RedisReply>{RedisReply::ofArray({pair(1, 2), pair(0, 2), pair(1, 1)})};
      });
  auto a = acquireFrame("+15550100", "c1");
  auto b = acquireFrame("+15550100", "c2");
  auto c = acquireFrame("+15550177", "c3");
  auto out = f.service.handleBatch({&a, &b, &c});
  ASSERT_EQ(out.size(), 3u);
  ASSERT_EQ(sent.size(), 1u);
  // Keys: each number's set once; per ask: its key's index, its cap, its call.
  EXPECT_THAT(sent[0],
              ElementsAre("EVALSHA", "sha-run", "2", "cm:{+15550100}:slots", "cm:{+15550177}:slots",
                          "30000", "1", "2", "c1", "1", "2", "c2", "2", "50", "c3"));
  std::unique_ptr<codec::Decoded<schema::LimiterReply>> keep;
  EXPECT_TRUE(replyOf(out[0], keep).getAcquired().getGranted());
  EXPECT_FALSE(replyOf(out[1], keep).getAcquired().getGranted());
  EXPECT_EQ(replyOf(out[1], keep).getAcquired().getInUse(), 2u);
  EXPECT_TRUE(replyOf(out[2], keep).getAcquired().getGranted());
  EXPECT_EQ(replyOf(out[2], keep).getAcquired().getCap(), 50u);
  EXPECT_EQ(f.metrics.acquired("+15550100").Value(), 2);  // c0 and c1
  EXPECT_EQ(f.metrics.rejected("+15550100").Value(), 1);
}

// On Redis Cluster a script's keys must share a slot: a run stays on one number, the other
// number's ask goes alone in the same round trip.
class ClusteredRedis : public testing::MockRedisClient {
 public:
  bool clustered() const override { return true; }
};

TEST(LimiterBatch, OnRedisClusterARunStaysOnOneNumber) {
  StrictMock<ClusteredRedis> redis;
  CapPolicy caps{50, {{"+15550100", 2}}};
  SlotLedger ledger{redis, caps, 30000};
  EXPECT_CALL(redis, evalScript(_, _, _)).WillOnce([](redis::RedisScript& script, auto&, auto&) {
    script.sha = "sha-acquire";
    return pair(1, 1);
  });
  ASSERT_TRUE(ledger.acquire("+15550100", "c0").ok());
  ::testing::Mock::VerifyAndClearExpectations(&redis);
  EXPECT_CALL(redis, evalScript(_, ElementsAre("cm:{+15550100}:slots"), ElementsAre("30000")))
      .WillOnce([](redis::RedisScript& script, auto&, auto&) {
        script.sha = "sha-run";
        return RedisReply::ofArray({});
      });
  std::vector<std::vector<std::string>> sent;
  EXPECT_CALL(redis, pipeline(_))
      .WillOnce([&](const std::vector<std::vector<std::string>>& commands) {
        sent = commands;
        return std::vector<RedisReply>{RedisReply::ofArray({pair(1, 2), pair(0, 2)}), pair(1, 1)};
      });
  auto decided = ledger.acquireMany(
      {{"+15550100", "c1", {}}, {"+15550100", "c2", {}}, {"+15550177", "c3", {}}});
  ASSERT_TRUE(decided.ok());
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_THAT(sent[0], ElementsAre("EVALSHA", "sha-run", "1", "cm:{+15550100}:slots", "30000", "1",
                                   "2", "c1", "1", "2", "c2"));
  EXPECT_THAT(sent[1], ElementsAre("EVALSHA", "sha-acquire", "1", "cm:{+15550177}:slots", "50",
                                   "c3", "30000"));
  EXPECT_TRUE((*decided)[0]->granted);
  EXPECT_FALSE((*decided)[1]->granted);
  EXPECT_TRUE((*decided)[2]->granted);
}

// A release between two acquires is served between them: the acquire before it is decided
// first, the one after it meets the freed slot.
TEST(LimiterBatch, AnyOtherRequestIsServedInItsPlaceInTheOrder) {
  Fixture f;
  f.loadScript();
  {
    InSequence order;
    EXPECT_CALL(f.redis, evalScript(_, _, ElementsAre("2", "c1", "30000")))
        .WillOnce(Return(pair(1, 2)));
    EXPECT_CALL(f.redis, command(ElementsAre("ZREM", "cm:{+15550100}:slots", "c0")))
        .WillOnce(Return(RedisReply::ofInteger(1)));
    EXPECT_CALL(f.redis, evalScript(_, _, ElementsAre("2", "c2", "30000")))
        .WillOnce(Return(pair(1, 2)));
  }
  auto a = acquireFrame("+15550100", "c1");
  auto r = releaseFrame("+15550100", "c0");
  auto b = acquireFrame("+15550100", "c2");
  auto out = f.service.handleBatch({&a, &r, &b});
  ASSERT_EQ(out.size(), 3u);
  std::unique_ptr<codec::Decoded<schema::LimiterReply>> keep;
  EXPECT_TRUE(replyOf(out[0], keep).getAcquired().getGranted());
  EXPECT_TRUE(replyOf(out[1], keep).getReleased());
  EXPECT_TRUE(replyOf(out[2], keep).getAcquired().getGranted());
}

// Redis unreachable: every acquire of the batch is answered `failed` (the ingress refuses those
// calls with 503); garbage in the batch is that request's error only.
TEST(LimiterBatch, ARoundTripThatFailsFailsEveryAcquireClosed) {
  Fixture f;
  f.loadScript();
  Error down{ErrorKind::Disconnected, "connection refused", "redis"};
  // a, alone before the junk; then loading the run script for b and c, together after it
  EXPECT_CALL(f.redis, evalScript(_, _, _)).Times(2).WillRepeatedly(Return(down));
  auto a = acquireFrame("+15550100", "c1");
  zmq::message_t junk("not capnp!", 10);
  auto b = acquireFrame("+15550100", "c2");
  auto c = acquireFrame("+15550100", "c3");
  auto out = f.service.handleBatch({&a, &junk, &b, &c});
  ASSERT_EQ(out.size(), 4u);
  std::unique_ptr<codec::Decoded<schema::LimiterReply>> keep;
  EXPECT_TRUE(replyOf(out[0], keep).isFailed());
  EXPECT_FALSE(out[1].ok());
  EXPECT_TRUE(replyOf(out[2], keep).isFailed());
  EXPECT_TRUE(replyOf(out[3], keep).isFailed());
  EXPECT_FALSE(f.service.redisHealthy());
  EXPECT_EQ(f.metrics.decode_errors.Value(), 1);
}

}  // namespace
}  // namespace callmesh::concurrency_limiter
