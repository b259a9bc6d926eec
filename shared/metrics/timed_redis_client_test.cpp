#include "shared/metrics/timed_redis_client.h"

#include <gtest/gtest.h>

#include "shared/testing/mock_redis_client.h"

namespace callmesh::metrics {
namespace {

using ::testing::Return;
using ::testing::StrictMock;

uint64_t count(prometheus::Registry& registry, const std::string& name) {
  for (const auto& f : registry.Collect()) {
    if (f.name == name) return f.metric.at(0).histogram.sample_count;
  }
  return 0;
}

TEST(TimedRedisClient, ObservesEveryRoundTripOkOrFailed) {
  prometheus::Registry registry;
  StrictMock<testing::MockRedisClient> inner;
  TimedRedisClient timed(inner, registry, "notification");
  EXPECT_CALL(inner, command(std::vector<std::string>{"PING"}))
      .WillOnce(Return(Result<redis::RedisReply>(redis::RedisReply{})));
  EXPECT_CALL(inner, pipeline(::testing::_))
      .WillOnce(Return(Result<std::vector<redis::RedisReply>>(
          Error{ErrorKind::Disconnected, "down", "pipeline"})));
  redis::RedisScript script{"return 1", ""};
  EXPECT_CALL(inner, evalScript(::testing::_, ::testing::_, ::testing::_))
      .WillOnce(Return(Result<redis::RedisReply>(redis::RedisReply{})));
  EXPECT_CALL(inner, connected()).WillOnce(Return(true));

  EXPECT_TRUE(timed.command({"PING"}).ok());
  EXPECT_FALSE(timed.pipeline({{"GET", "a"}}).ok());
  EXPECT_TRUE(timed.evalScript(script, {"k"}, {}).ok());
  EXPECT_TRUE(timed.connected());
  EXPECT_EQ(count(registry, "callmesh_notification_redis_duration_seconds"), 3u);
}

}  // namespace
}  // namespace callmesh::metrics
