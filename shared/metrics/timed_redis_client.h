#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "shared/redis/redis_client.h"

namespace callmesh::metrics {

// A RedisClient that times every round trip of the client it wraps into
// `callmesh_<service>_redis_duration_seconds` (failed round trips included; the services count
// their failures in their own `_redis_errors_total`). Same thread rules as the wrapped client.
class TimedRedisClient : public redis::RedisClient {
 public:
  TimedRedisClient(redis::RedisClient& inner, prometheus::Registry& registry,
                   const std::string& service)
      : inner_(inner),
        seconds_(
            prometheus::BuildHistogram()
                .Name("callmesh_" + service + "_redis_duration_seconds")
                .Help("Redis round-trip time (command, pipeline or script)")
                .Register(registry)
                .Add({}, prometheus::Histogram::BucketBoundaries{
                             0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25})) {}

  Result<redis::RedisReply> command(const std::vector<std::string>& argv) override {
    Timer t(seconds_);
    return inner_.command(argv);
  }
  Result<std::vector<redis::RedisReply>> pipeline(
      const std::vector<std::vector<std::string>>& commands) override {
    Timer t(seconds_);
    return inner_.pipeline(commands);
  }
  Result<redis::RedisReply> evalScript(redis::RedisScript& script,
                                       const std::vector<std::string>& keys,
                                       const std::vector<std::string>& args) override {
    Timer t(seconds_);
    return inner_.evalScript(script, keys, args);
  }
  bool connected() const override { return inner_.connected(); }
  uint64_t primaryEpoch() const override { return inner_.primaryEpoch(); }
  bool clustered() const override { return inner_.clustered(); }

  prometheus::Histogram& seconds() { return seconds_; }

 private:
  class Timer {
   public:
    explicit Timer(prometheus::Histogram& h) : h_(h), start_(std::chrono::steady_clock::now()) {}
    ~Timer() {
      h_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

   private:
    prometheus::Histogram& h_;
    std::chrono::steady_clock::time_point start_;
  };

  redis::RedisClient& inner_;
  prometheus::Histogram& seconds_;
};

}  // namespace callmesh::metrics
