#include "services/notification/redis_event_feed.h"

#include <poll.h>

#include <chrono>

#include <hiredis/hiredis.h>

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
  while (!stop_) {
    timeval tv{endpoint_.timeout_ms / 1000, (endpoint_.timeout_ms % 1000) * 1000};
    redisContext* c = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, tv);
    bool ok = c != nullptr && c->err == 0;
    if (ok) {
      auto* r = static_cast<redisReply*>(redisCommand(c, "SUBSCRIBE %s", channel_.c_str()));
      ok = r != nullptr && r->type == REDIS_REPLY_ARRAY;
      if (r) freeReplyObject(r);
    }
    subscribed_ = ok;
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
    for (int i = 0; i < 5 && !stop_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace callmesh::notification
