#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "shared/redis/hiredis_client.h"

namespace callmesh::notification {

// Subscribes to one Redis pub/sub channel on its own connection and thread and hands every
// message to `on_message` (on that thread). Reconnects after a failure; messages published while
// disconnected are lost, which is why streams are live push only and clients re-read the list
// on (re)connect. Stops within ~200 ms of stop().
class RedisEventFeed {
 public:
  using OnMessage = std::function<void(const std::string&)>;

  RedisEventFeed(redis::RedisEndpoint endpoint, std::string channel, OnMessage on_message);
  ~RedisEventFeed();
  RedisEventFeed(const RedisEventFeed&) = delete;
  RedisEventFeed& operator=(const RedisEventFeed&) = delete;

  void start();
  void stop();
  bool subscribed() const { return subscribed_; }

 private:
  void run();

  redis::RedisEndpoint endpoint_;
  std::string channel_;
  OnMessage on_message_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> subscribed_{false};
  std::thread thread_;
};

}  // namespace callmesh::notification
