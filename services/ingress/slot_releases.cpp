#include "services/ingress/slot_releases.h"

#include <algorithm>
#include <iterator>

#include <capnp/message.h>

#include "schemas/limiter.capnp.h"
#include "shared/codec/capnp_codec.h"

namespace callmesh::ingress {

void SlotReleases::queue(const std::string& number, const std::string& call_id) {
  int64_t now = clock_.steadyMs();
  pending_.push_back({number, call_id, now + lease_ms_, now});
}

SlotReleases::Batch SlotReleases::takePending() {
  if (pending_.empty()) return nullptr;
  if (pending_.size() <= slots_per_frame_) {
    auto batch = std::make_shared<std::vector<Pending>>(std::move(pending_));
    pending_.clear();
    return batch;
  }
  auto cut = pending_.begin() + static_cast<std::ptrdiff_t>(slots_per_frame_);
  auto batch = std::make_shared<std::vector<Pending>>(std::make_move_iterator(pending_.begin()),
                                                      std::make_move_iterator(cut));
  pending_.erase(pending_.begin(), cut);
  return batch;
}

void SlotReleases::notConfirmed(const Batch& batch, const std::string& error) {
  metrics_.peerErrors("limiter").Increment();
  log_.warn("slot_release_failed", {{"calls", static_cast<int64_t>(batch->size())},
                                    {"error", error},
                                    {"fallback", "retry every 500 ms, then lease expiry"}});
  retry_.insert(retry_.end(), batch->begin(), batch->end());
}

void SlotReleases::flushOlderThan(int64_t wait_ms) {
  int64_t now = clock_.steadyMs();
  if (!retry_.empty() && now >= next_retry_ms_) {
    // Ahead of the rest: pending_ stays oldest first.
    std::vector<Pending> again;
    for (auto& r : retry_)
      if (r.give_up_at_ms > now) again.push_back(std::move(r));
    pending_.insert(pending_.begin(), std::make_move_iterator(again.begin()),
                    std::make_move_iterator(again.end()));
    retry_.clear();
    next_retry_ms_ = now + 500;
  }
  // pending_ is oldest first.
  if (!pending_.empty() && wait_ms > 0 && now - pending_.front().queued_at_ms < wait_ms) return;
  while (Batch batch = takePending()) sendReleaseBatch(batch);
}

void SlotReleases::sendReleaseBatch(const Batch& batch) {
  codec::FrameBuilder mb;
  auto list =
      mb.initRoot<schema::LimiterRequest>().initReleaseBatch(static_cast<unsigned>(batch->size()));
  for (size_t i = 0; i < batch->size(); ++i) {
    list[static_cast<unsigned>(i)].setNumber((*batch)[i].number);
    list[static_cast<unsigned>(i)].setCallId((*batch)[i].call_id);
  }
  limiter_.request(codec::encodeToBytes(mb), [this, batch](Result<zmq::message_t> res) {
    std::string error;
    if (!res.ok()) {
      error = res.error().describe();
    } else {
      auto decoded = codec::decode<schema::LimiterReply>(res->data(), res->size(), "LimiterReply");
      if (!decoded.ok()) {
        error = decoded.error().describe();
      } else if (decoded.value()->root().isFailed()) {
        error = decoded.value()->root().getFailed();
      }
    }
    if (!error.empty()) notConfirmed(batch, error);
  });
}

void SlotReleases::renew(const std::vector<std::pair<std::string_view, std::string_view>>& held) {
  for (size_t at = 0; at < held.size(); at += slots_per_frame_) {
    size_t count = std::min(slots_per_frame_, held.size() - at);
    renewFrame(held.data() + at, count);
  }
}

void SlotReleases::renewFrame(const std::pair<std::string_view, std::string_view>* held,
                              size_t count) {
  codec::FrameBuilder mb;
  auto list = mb.initRoot<schema::LimiterRequest>().initRenew(static_cast<unsigned>(count));
  for (size_t i = 0; i < count; ++i) {
    list[static_cast<unsigned>(i)].setNumber(
        capnp::Text::Reader(held[i].first.data(), held[i].first.size()));
    list[static_cast<unsigned>(i)].setCallId(
        capnp::Text::Reader(held[i].second.data(), held[i].second.size()));
  }
  background_.request(codec::encodeToBytes(mb), [this](Result<zmq::message_t> res) {
    if (!res.ok()) {
      metrics_.peerErrors("limiter").Increment();
      log_.warn("slot_renew_failed", {{"error", res.error().describe()}});
    }
  });
}

}  // namespace callmesh::ingress
