#include "services/notification/stream_fanout.h"

#include <algorithm>

#include <boost/asio/post.hpp>

namespace callmesh::notification {

namespace {
// Bytes that have waited for the socket this many keep-alive periods mean a client that stopped
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
  by_agent_[stream->agent()].push_back(stream);
  ++count_;
  streams_gauge_.Increment();
  stream->start(std::move(head));
}

void StreamFanout::closed(SseStream* s, bool dropped_slow) {
  if (dropped_slow) metrics_.refused(Refusal::SlowStream).Increment();
  if (walking_) {
    closed_in_walk_.push_back(s);
  } else {
    forget(s);
  }
}

void StreamFanout::forget(SseStream* s) {
  // close() holds a reference to the stream while it calls here, so erasing never destroys a
  // stream inside its own call.
  auto group = by_agent_.find(s->agent());
  if (group == by_agent_.end()) return;
  auto& tabs = group->second;
  auto it = std::find_if(tabs.begin(), tabs.end(), [s](const auto& t) { return t.get() == s; });
  if (it == tabs.end()) return;
  *it = std::move(tabs.back());
  tabs.pop_back();
  if (tabs.empty()) by_agent_.erase(group);
  --count_;
  streams_gauge_.Decrement();
}

template <typename Pick, typename Deliver>
void StreamFanout::walk(Pick pick, Deliver deliver) {
  walking_ = true;
  for (auto& [agent, tabs] : by_agent_) {
    if (tabs.empty() || !pick(*tabs.front())) continue;
    for (const auto& s : tabs) deliver(*s);
  }
  walking_ = false;
  auto gone = std::move(closed_in_walk_);
  closed_in_walk_.clear();
  for (auto* s : gone) forget(s);
}

void StreamFanout::broadcast(const StreamEvent& e, const SseStream::Chunk& chunk) {
  if (count_ == 0) return;
  // The grant depends on the caller only: one answer per agent covers all of its tabs.
  walk([&e](const SseStream& first) { return first.shows(e); },
       [this, &chunk](SseStream& s) {
         if (s.enqueue(chunk)) pending_.push_back(s.shared_from_this());
       });
  // Flushed after the events already waiting for this thread are queued too (handlers run in
  // order): a burst costs one system call per stream, a lone event no more than before.
  if (!pending_.empty() && !flush_posted_) {
    flush_posted_ = true;
    boost::asio::post(timer_.get_executor(), [this] { flushPending(); });
  }
}

void StreamFanout::flushPending() {
  flush_posted_ = false;
  auto streams = std::move(pending_);
  pending_.clear();
  for (const auto& s : streams) s->flush();
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
  walk([](const SseStream&) { return true; },
       [&](SseStream& s) {
         if (s.stalled(stalled_before)) {
           s.close(true);
         } else {
           s.deliver(comment);
         }
       });
}

void StreamFanout::closeAll() {
  stopping_ = true;
  timer_.cancel();
  pending_.clear();
  walk([](const SseStream&) { return true; }, [](SseStream& s) { s.close(); });
}

}  // namespace callmesh::notification
