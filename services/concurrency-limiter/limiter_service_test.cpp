#include "services/concurrency-limiter/limiter_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <capnp/message.h>
#include <prometheus/registry.h>

#include "schemas/limiter.capnp.h"
#include "shared/codec/capnp_codec.h"
#include "shared/testing/mock_redis_client.h"

namespace callmesh::concurrency_limiter {
namespace {

using redis::RedisReply;
using ::testing::_;
using ::testing::Return;
using ::testing::StrictMock;

zmq::message_t acquireFrame(const std::string& number, const std::string& call_id) {
  capnp::MallocMessageBuilder mb;
  auto a = mb.initRoot<schema::LimiterRequest>().initAcquire();
  a.setNumber(number);
  a.setCallId(call_id);
  auto words = codec::encode(mb);
  auto bytes = words.asBytes();
  return zmq::message_t(bytes.begin(), bytes.size());
}

struct Fixture {
  StrictMock<testing::MockRedisClient> redis;
  CapPolicy caps{50, {{"+15550100", 2}}};
  SlotLedger ledger{redis, caps, 30000};
  prometheus::Registry registry;
  LimiterMetrics metrics{registry, caps.isConfigured("+15550100")
                                       ? std::map<std::string, int>{{"+15550100", 2}}
                                       : std::map<std::string, int>{}};
  Logger log{"test", LogLevel::Error};
  LimiterService service{ledger, metrics, log};
};

RedisReply pair(int64_t a, int64_t b) {
  return RedisReply::ofArray({RedisReply::ofInteger(a), RedisReply::ofInteger(b)});
}

TEST(LimiterService, BatchReleaseIsOnePipelineAndAnswersHowManyWereFreed) {
  Fixture f;
  std::vector<RedisReply> freed{RedisReply::ofInteger(1), RedisReply::ofInteger(0),
                                RedisReply::ofInteger(1)};
  EXPECT_CALL(f.redis, pipeline(_)).WillOnce(Return(freed));
  capnp::MallocMessageBuilder mb;
  auto list = mb.initRoot<schema::LimiterRequest>().initReleaseBatch(3);
  for (unsigned i = 0; i < 3; ++i) {
    list[i].setNumber("+15550100");
    list[i].setCallId("c" + std::to_string(i));
  }
  auto words = codec::encode(mb);
  auto bytes = words.asBytes();
  auto out = f.service.handle(zmq::message_t(bytes.begin(), bytes.size()));
  ASSERT_TRUE(out.ok());
  auto reply = codec::decode<schema::LimiterReply>(out->data(), out->size(), "LimiterReply");
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(reply.value()->root().isReleasedBatch());
  EXPECT_EQ(reply.value()->root().getReleasedBatch(), 2u);
}

TEST(LimiterService, BatchReleaseWithAnEmptyCallIdIsRejectedNamingTheField) {
  Fixture f;
  capnp::MallocMessageBuilder mb;
  auto list = mb.initRoot<schema::LimiterRequest>().initReleaseBatch(1);
  list[0].setNumber("+15550100");
  auto words = codec::encode(mb);
  auto bytes = words.asBytes();
  auto out = f.service.handle(zmq::message_t(bytes.begin(), bytes.size()));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().describe().find("releaseBatch"), std::string::npos);
}

// seed 004: releases carried by an acquire go to Redis in the same pipeline, ahead of it.
TEST(LimiterService, AcquireCarryingReleasesFreesThemInTheSamePipelineFirst) {
  Fixture f;
  // The script is loaded by a first plain acquire; the carrying one is then one pipeline.
  EXPECT_CALL(f.redis, evalScript(_, _, _)).WillOnce([](redis::RedisScript& script, auto&, auto&) {
    script.sha = "sha-acquire";
    return pair(1, 1);
  });
  ASSERT_TRUE(f.service.handle(acquireFrame("+15550100", "c0")).ok());
  std::vector<std::vector<std::string>> sent;
  EXPECT_CALL(f.redis, pipeline(_))
      .WillOnce([&](const std::vector<std::vector<std::string>>& commands) {
        sent = commands;
        return std::vector<RedisReply>{RedisReply::ofInteger(1), RedisReply::ofInteger(0),
                                       pair(1, 2)};
      });
  capnp::MallocMessageBuilder mb;
  auto req = mb.initRoot<schema::LimiterRequest>();
  auto a = req.initAcquire();
  a.setNumber("+15550100");
  a.setCallId("c3");
  auto first = req.initReleasesFirst(2);
  first[0].setNumber("+15550100");
  first[0].setCallId("c1");
  first[1].setNumber("+15550100");
  first[1].setCallId("c2");
  auto words = codec::encode(mb);
  auto bytes = words.asBytes();
  auto out = f.service.handle(zmq::message_t(bytes.begin(), bytes.size()));
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0], (std::vector<std::string>{"ZREM", "cm:{+15550100}:slots", "c1"}));
  EXPECT_EQ(sent[1], (std::vector<std::string>{"ZREM", "cm:{+15550100}:slots", "c2"}));
  EXPECT_EQ(sent[2][0], "EVALSHA");
  EXPECT_EQ(sent[2][1], "sha-acquire");
  auto reply = codec::decode<schema::LimiterReply>(out->data(), out->size(), "LimiterReply");
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(reply.value()->root().isAcquired());
  EXPECT_TRUE(reply.value()->root().getAcquired().getGranted());
  EXPECT_EQ(f.metrics.released.Value(), 1);
  EXPECT_EQ(f.metrics.release_noop.Value(), 1);
}

TEST(LimiterService, AcquireCarryingAReleaseWithoutCallIdIsRejectedNamingTheField) {
  Fixture f;
  capnp::MallocMessageBuilder mb;
  auto req = mb.initRoot<schema::LimiterRequest>();
  auto a = req.initAcquire();
  a.setNumber("+15550100");
  a.setCallId("c3");
  req.initReleasesFirst(1)[0].setNumber("+15550100");
  auto words = codec::encode(mb);
  auto bytes = words.asBytes();
  auto out = f.service.handle(zmq::message_t(bytes.begin(), bytes.size()));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().describe().find("releasesFirst"), std::string::npos);
}

TEST(LimiterService, GrantAndDenialAreEncodedAndCounted) {
  Fixture f;
  EXPECT_CALL(f.redis, evalScript(_, _, _))
      .WillOnce(Return(pair(1, 2)))
      .WillOnce(Return(pair(0, 2)));
  for (int i = 0; i < 2; ++i) {
    auto out = f.service.handle(acquireFrame("+15550100", "c" + std::to_string(i)));
    ASSERT_TRUE(out.ok());
    auto reply = codec::decode<schema::LimiterReply>(out->data(), out->size(), "LimiterReply");
    ASSERT_TRUE(reply.ok());
    auto r = reply.value()->root();
    ASSERT_TRUE(r.isAcquired());
    EXPECT_EQ(r.getAcquired().getGranted(), i == 0);
    EXPECT_EQ(r.getAcquired().getCap(), 2u);
    EXPECT_EQ(r.getAcquired().getInUse(), 2u);
  }
  EXPECT_EQ(f.metrics.acquired("+15550100").Value(), 1);
  EXPECT_EQ(f.metrics.rejected("+15550100").Value(), 1);
  EXPECT_EQ(f.metrics.inUse("+15550100").Value(), 2);
}

TEST(LimiterMetrics, CapGaugeHasEveryConfiguredNumberAndTheDefaultAsOther) {
  prometheus::Registry registry;
  LimiterMetrics metrics{registry, {{"+15550100", 2}, {"+15550111", 80}}, 50};
  std::map<std::string, double> caps;
  for (const auto& family : registry.Collect()) {
    if (family.name != "callmesh_concurrency_limiter_cap_calls") continue;
    for (const auto& m : family.metric) caps[m.label.at(0).value] = m.gauge.value;
  }
  EXPECT_EQ(caps,
            (std::map<std::string, double>{{"+15550100", 2}, {"+15550111", 80}, {"other", 50}}));
}

TEST(LimiterService, RedisFailureFailsClosed) {
  Fixture f;
  EXPECT_CALL(f.redis, evalScript(_, _, _))
      .WillOnce(Return(Error{ErrorKind::Disconnected, "connection refused", "redis"}));
  auto out = f.service.handle(acquireFrame("+15550100", "c"));
  ASSERT_TRUE(out.ok());
  auto reply = codec::decode<schema::LimiterReply>(out->data(), out->size(), "LimiterReply");
  ASSERT_TRUE(reply.value()->root().isFailed());
  EXPECT_FALSE(f.service.redisHealthy());
  EXPECT_EQ(f.metrics.redis_errors.Value(), 1);
}

TEST(LimiterService, GarbageIsAnErrorAndCounted) {
  Fixture f;
  zmq::message_t junk("not capnp!", 10);
  auto out = f.service.handle(junk);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().context, "decode LimiterRequest");
  EXPECT_EQ(f.metrics.decode_errors.Value(), 1);
}

TEST(LimiterService, AcquireWithoutCallIdIsRejected) {
  Fixture f;
  auto out = f.service.handle(acquireFrame("+15550100", ""));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::InvalidInput);
}

}  // namespace
}  // namespace callmesh::concurrency_limiter
