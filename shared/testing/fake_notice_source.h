#pragma once

#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include "shared/transport/notice_channel.h"

namespace callmesh::testing {

// A NoticeSource whose next notice the test sets (post); latest() hands it out once.
class FakeNoticeSource final : public transport::NoticeSource {
 public:
  void post(const std::vector<uint8_t>& bytes) { next_ = bytes; }
  std::optional<zmq::message_t> latest() override {
    if (!next_) return std::nullopt;
    zmq::message_t frame(next_->size());
    if (!next_->empty()) std::memcpy(frame.data(), next_->data(), next_->size());
    next_.reset();
    return frame;
  }

 private:
  std::optional<std::vector<uint8_t>> next_;
};

}  // namespace callmesh::testing
