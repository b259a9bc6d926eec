#include "services/notification/redis_event_feed.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <random>

#include <hiredis/hiredis.h>

#include "shared/redis/failover_policy.h"
#include "shared/redis/primary_connector.h"

namespace callmesh::notification {

RedisEventFeed::RedisEventFeed(redis::RedisEndpoint endpoint, std::string channel,
                               OnMessage on_message)
    : endpoint_(std::move(endpoint)),
      channel_(std::move(channel)),
      on_message_(std::move(on_message)) {}

RedisEventFeed::~RedisEventFeed() { stop(); }

void RedisEventFeed::start() {
  thread_ = std::thread([this] { run(); });
}

void RedisEventFeed::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void RedisEventFeed::run() {
  // Through the same connector as the command clients: the primary found via Sentinel when
  // configured, the service's ACL user logged in. Failed connects back off like HiredisClient.
  redis::PrimaryConnector connector(endpoint_);
  std::minstd_rand jitter(std::random_device{}());
  redis::ReconnectBackoff backoff(endpoint_.reconnect_min_ms, endpoint_.reconnect_max_ms, [&] {
    return std::uniform_real_distribution<double>(0.0, 1.0)(jitter);
  });
  while (!stop_) {
    auto connected = connector.connect();
    redisContext* c = connected.ok() ? connected.value() : nullptr;
    bool ok = c != nullptr;
    if (ok) {
      auto* r = static_cast<redisReply*>(redisCommand(c, "SUBSCRIBE %s", channel_.c_str()));
      ok = r != nullptr && r->type == REDIS_REPLY_ARRAY;
      if (r) freeReplyObject(r);
    }
    subscribed_ = ok;
    if (ok) backoff.succeeded();
    while (ok && !stop_) {
      pollfd p{c->fd, POLLIN, 0};
      int n = ::poll(&p, 1, 200);
      if (n < 0) break;
      if (n == 0) continue;
      if (redisBufferRead(c) != REDIS_OK) break;
      void* reply = nullptr;
      while (redisGetReplyFromReader(c, &reply) == REDIS_OK && reply != nullptr) {
        auto* r = static_cast<redisReply*>(reply);
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
            r->element[0]->type == REDIS_REPLY_STRING &&
            std::string(r->element[0]->str, r->element[0]->len) == "message") {
          on_message_(std::string(r->element[2]->str, r->element[2]->len));
        }
        freeReplyObject(r);
        reply = nullptr;
      }
      if (c->err) break;
    }
    subscribed_ = false;
    if (c) redisFree(c);
    // A subscription that ran and broke reconnects after the shortest wait; failed connects wait
    // longer each time, up to reconnect_max_ms. Sleeps in 100 ms steps so stop() stays prompt.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff.failed());
    while (!stop_ && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::min<int64_t>(100, std::chrono::duration_cast<std::chrono::milliseconds>(
                                     deadline - std::chrono::steady_clock::now())
                                         .count() +
                                     1)));
    }
  }
}

}  // namespace callmesh::notification
