#include "services/notification/stream_shards.h"

#include <algorithm>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

namespace callmesh::notification {

namespace asio = boost::asio;

namespace {
// Events waiting for one stream thread beyond this are dropped (counted): the bus feed never
// waits for streams, and a stuck thread cannot grow memory without bound.
constexpr int kMaxPendingEvents = 10000;
}  // namespace

struct StreamShards::Shard {
  Shard(ApiLimitMetrics& metrics, prometheus::Gauge& gauge, int keepalive_ms)
      : fanout(io, metrics, gauge, keepalive_ms) {}

  // Shared with each stream's slot, which may be released while the shard is destroyed.
  std::shared_ptr<std::atomic<int>> streams = std::make_shared<std::atomic<int>>(0);
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  StreamFanout fanout;
  std::thread thread;
  std::atomic<int> pending_events{0};
};

StreamShards::StreamShards(int threads, ApiLimitMetrics& metrics, prometheus::Gauge& gauge,
                           int keepalive_ms)
    : metrics_(metrics) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    shards_.push_back(std::make_unique<Shard>(metrics, gauge, keepalive_ms));
  }
}

StreamShards::~StreamShards() { stop(); }

void StreamShards::start() {
  started_ = true;
  for (auto& s : shards_) {
    s->fanout.startKeepAlive();
    s->thread = std::thread([&io = s->io] { io.run(); });
  }
}

void StreamShards::open(asio::ip::tcp::socket socket, StreamGrant grant, std::shared_ptr<void> held,
                        size_t max_queued_bytes, std::string head) {
  auto& shard = **std::min_element(shards_.begin(), shards_.end(), [](auto& a, auto& b) {
    return a->streams->load() < b->streams->load();
  });
  boost::system::error_code ec;
  auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return;  // the peer is already gone; `socket` closes as it goes
  int fd = socket.release(ec);
  if (ec) return;
  // Registered with the stream thread's reactor from here (Asio's registration is thread-safe);
  // from now on only that thread touches it.
  asio::ip::tcp::socket moved(shard.io);
  moved.assign(protocol, fd, ec);
  if (ec) return;
  ++*shard.streams;
  // The stream's count on this shard ends when its slot does, whichever thread drops it.
  std::shared_ptr<void> counted(held.get(), [held, count = shard.streams](void*) mutable {
    held.reset();
    --*count;
  });
  asio::post(shard.io,
             [&shard, moved = std::move(moved), grant = std::move(grant),
              counted = std::move(counted), max_queued_bytes, head = std::move(head)]() mutable {
               shard.fanout.open(std::move(moved), std::move(grant), std::move(counted),
                                 max_queued_bytes, std::move(head));
             });
}

void StreamShards::publish(const std::shared_ptr<const StreamEvent>& e) {
  // Encoded once, here: every stream of every thread writes this same buffer.
  auto chunk = std::make_shared<const std::string>(sseChunk(*e));
  for (auto& s : shards_) {
    auto& shard = *s;
    if (shard.pending_events.fetch_add(1) >= kMaxPendingEvents) {
      --shard.pending_events;
      metrics_.events_dropped.Increment();
      continue;
    }
    asio::post(shard.io, [&shard, e, chunk] {
      --shard.pending_events;
      shard.fanout.broadcast(*e, chunk);
    });
  }
}

void StreamShards::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& s : shards_) {
    asio::post(s->io, [&shard = *s] {
      shard.fanout.closeAll();
      shard.work.reset();
      shard.io.stop();  // after the closing above (handlers run in order)
    });
  }
  for (auto& s : shards_) {
    if (s->thread.joinable()) s->thread.join();
  }
}

}  // namespace callmesh::notification
