#include "services/notification/stream_fanout.h"

#include <string_view>
#include <unordered_map>
#include <vector>

namespace callmesh::notification {

namespace {
// Writes that have not completed for this many keep-alive periods mean a client that stopped
// reading while its kernel buffers are full: it is dropped like one whose queue overflowed.
constexpr int kStalledPeriods = 4;
}  // namespace

StreamFanout::StreamFanout(boost::asio::io_context& io, ApiLimitMetrics& metrics,
                           prometheus::Gauge& streams_gauge, int keepalive_ms)
    : metrics_(metrics), streams_gauge_(streams_gauge), keepalive_(keepalive_ms), timer_(io) {}

void StreamFanout::open(boost::asio::ip::tcp::socket socket, StreamGrant grant,
                        std::shared_ptr<void> held, size_t max_queued_bytes, std::string head) {
  if (stopping_) return;  // the socket closes as it goes out of scope
  auto stream = std::make_shared<SseStream>(
      std::move(socket), std::move(grant), std::move(held), max_queued_bytes,
      [this](SseStream* s, bool dropped_slow) { closed(s, dropped_slow); });
  streams_.emplace(stream.get(), stream);
  streams_gauge_.Increment();
  stream->start(std::move(head));
}

void StreamFanout::closed(SseStream* s, bool dropped_slow) {
  if (dropped_slow) metrics_.refused(Refusal::SlowStream).Increment();
  // Whoever called close() holds its own reference (an async handler's `self`, or the snapshot
  // broadcast() and keepAlive() walk), so erasing never destroys a stream inside its own call.
  if (streams_.erase(s) > 0) streams_gauge_.Decrement();
}

void StreamFanout::broadcast(const StreamEvent& e) {
  if (streams_.empty()) return;
  auto chunk = std::make_shared<const std::string>(sseChunk(e));
  // deliver() may close (and so erase) the stream: walk a snapshot. The filter is asked once
  // per agent: a claim seen by 600 agents with 5,000 tabs is 600 audience scans, not 5,000.
  std::vector<std::shared_ptr<SseStream>> targets;
  targets.reserve(streams_.size());
  std::unordered_map<std::string_view, bool> verdict;
  for (const auto& [p, s] : streams_) {
    auto [it, fresh] = verdict.try_emplace(s->agent(), false);
    if (fresh) it->second = s->shows(e);
    if (it->second) targets.push_back(s);
  }
  for (const auto& s : targets) s->deliver(chunk);
}

void StreamFanout::startKeepAlive() {
  timer_.expires_after(keepalive_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    keepAlive();
    startKeepAlive();
  });
}

void StreamFanout::keepAlive() {
  static const auto comment = std::make_shared<const std::string>(httpChunk(": keep-alive\n\n"));
  auto stalled_before = std::chrono::steady_clock::now() - kStalledPeriods * keepalive_;
  std::vector<std::shared_ptr<SseStream>> all;
  all.reserve(streams_.size());
  for (const auto& [p, s] : streams_) all.push_back(s);
  for (const auto& s : all) {
    if (s->stalled(stalled_before)) {
      s->close(true);
    } else {
      s->deliver(comment);
    }
  }
}

void StreamFanout::closeAll() {
  stopping_ = true;
  timer_.cancel();
  std::vector<std::shared_ptr<SseStream>> all;
  for (const auto& [p, s] : streams_) all.push_back(s);
  for (const auto& s : all) s->close();
}

}  // namespace callmesh::notification
