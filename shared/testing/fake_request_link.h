#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include "shared/base/error.h"
#include "shared/transport/request_link.h"

namespace callmesh::testing {

// A RequestLink a unit test answers by hand: requests wait, in order, until the test replies to
// one (reply / fail), so a test decides which peer answers first and what it says. No sockets.
class FakeRequestLink final : public transport::RequestLink {
 public:
  struct Sent {
    uint64_t id = 0;
    std::vector<uint8_t> payload;
  };

  uint64_t request(std::vector<uint8_t> payload, ReplyHandler on_reply) override {
    uint64_t id = next_id_++;
    requestWithId(id, std::move(payload), std::move(on_reply));
    return id;
  }
  void requestWithId(uint64_t id, std::vector<uint8_t> payload, ReplyHandler on_reply) override {
    sent_.push_back({id, payload});
    waiting_.emplace(id, std::move(on_reply));
  }
  void cancel(uint64_t id) override {
    if (waiting_.erase(id) > 0) cancelled_.push_back(id);
  }
  size_t pending() const override { return waiting_.size(); }
  int fd() const override { return -1; }
  size_t onReadable() override { return 0; }
  bool needsDrain() const override { return false; }
  void onTick() override {}

  // Every request sent so far, oldest first (answered or not).
  const std::vector<Sent>& sent() const { return sent_; }
  const std::vector<uint64_t>& cancelled() const { return cancelled_; }
  bool waiting(uint64_t id) const { return waiting_.count(id) > 0; }

  // Answers request `id` with `bytes` (a flat capnp message, say). False if it is not waiting.
  bool reply(uint64_t id, const std::vector<uint8_t>& bytes) {
    auto handler = take(id);
    if (!handler) return false;
    zmq::message_t frame(bytes.size());
    if (!bytes.empty()) std::memcpy(frame.data(), bytes.data(), bytes.size());
    handler(Result<zmq::message_t>(std::move(frame)));
    return true;
  }
  // Fails request `id` as a RequestClient does when every attempt timed out.
  bool fail(uint64_t id, ErrorKind kind = ErrorKind::Disconnected,
            const std::string& message = "no reply (fake)") {
    auto handler = take(id);
    if (!handler) return false;
    handler(Result<zmq::message_t>(Error{kind, message, "fake_request_link"}));
    return true;
  }

 private:
  ReplyHandler take(uint64_t id) {
    auto it = waiting_.find(id);
    if (it == waiting_.end()) return nullptr;
    ReplyHandler handler = std::move(it->second);
    waiting_.erase(it);
    return handler;
  }

  uint64_t next_id_ = 1;
  std::vector<Sent> sent_;
  std::vector<uint64_t> cancelled_;
  std::map<uint64_t, ReplyHandler> waiting_;
};

}  // namespace callmesh::testing
