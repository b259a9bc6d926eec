#pragma once

// The threads that carry the event streams (issue 17): `threads` io_contexts
// (notification.api_stream_threads), one thread each, each with its own StreamFanout. A granted
// stream's socket leaves the HTTP io thread for the stream thread with the fewest streams, so the
// HTTP io thread (requests, claims) never waits behind a fan-out. An event from the bus is
// encoded once (on the caller's thread) and the same immutable buffer is posted to every stream
// thread. Sending one event to 5,000 streams is 5,000 sendmsg calls, ~85 % kernel time on the
// sender's CPU: more threads spread that over more cores, which pays where cores are free; on a
// 2-core replica one thread was faster (docs/bench/streams.md), hence the default of 1. The bus
// feed never waits either: an event a thread cannot take (kMaxPendingEvents already waiting) is
// dropped and counted.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "services/notification/api_gate.h"
#include "services/notification/event_hub.h"
#include "services/notification/stream_fanout.h"

namespace callmesh::notification {

class StreamShards {
 public:
  StreamShards(int threads, ApiLimitMetrics& metrics, prometheus::Gauge& streams_gauge,
               int keepalive_ms);
  ~StreamShards();
  StreamShards(const StreamShards&) = delete;
  StreamShards& operator=(const StreamShards&) = delete;

  // Starts the threads and their keep-alive timers.
  void start();
  // Moves a granted stream's socket (no operation pending on it) to the least loaded thread.
  // Any thread.
  void open(boost::asio::ip::tcp::socket socket, StreamGrant grant, std::shared_ptr<void> held,
            size_t max_queued_bytes, std::string head);
  // One event to every thread's streams. Any thread; never blocks on the streams.
  void publish(const std::shared_ptr<const StreamEvent>& e);
  // Closes every stream and joins the threads.
  void stop();
  size_t threads() const { return shards_.size(); }

 private:
  struct Shard;
  std::vector<std::unique_ptr<Shard>> shards_;
  ApiLimitMetrics& metrics_;
  bool started_ = false;
};

}  // namespace callmesh::notification
