#pragma once

#include <gmock/gmock.h>

#include "shared/redis/redis_client.h"

namespace callmesh::testing {

class MockRedisClient : public redis::RedisClient {
 public:
  MOCK_METHOD(Result<redis::RedisReply>, command, (const std::vector<std::string>& argv),
              (override));
  MOCK_METHOD(Result<std::vector<redis::RedisReply>>, pipeline,
              (const std::vector<std::vector<std::string>>& commands), (override));
  MOCK_METHOD(Result<redis::RedisReply>, evalScript,
              (redis::RedisScript & script, const std::vector<std::string>& keys,
               const std::vector<std::string>& args),
              (override));
  MOCK_METHOD(bool, connected, (), (const, override));
};

}  // namespace callmesh::testing
