#pragma once

// The open streams of one stream thread (StreamShards runs one per thread). An event comes
// already encoded (one immutable buffer shared by every stream and thread); the streams are
// grouped by agent, the visibility class of an event (an agent's tabs see the same events), so
// the filter is asked once per agent and event, and the buffer is written to each tab. A timer
// sends a comment to keep idle streams (and the proxies in front) alive and drops streams whose
// bytes have waited for the socket for several periods.
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "services/notification/api_gate.h"
#include "services/notification/sse_stream.h"

namespace callmesh::notification {

class StreamFanout {
 public:
  // `streams_gauge` is callmesh_notification_api_streams (shared by every thread).
  StreamFanout(boost::asio::io_context& io, ApiLimitMetrics& metrics,
               prometheus::Gauge& streams_gauge, int keepalive_ms);

  // Takes over a granted stream (this fan-out's thread).
  void open(boost::asio::ip::tcp::socket socket, StreamGrant grant, std::shared_ptr<void> held,
            size_t max_queued_bytes, std::string head);
  // One event, encoded once as `chunk`, to every stream that shows it (this fan-out's thread).
  void broadcast(const StreamEvent& e, const SseStream::Chunk& chunk);
  void startKeepAlive();
  // Closes every stream and stops the timer (this fan-out's thread).
  void closeAll();
  size_t size() const { return count_; }

 private:
  using Tabs = std::vector<std::shared_ptr<SseStream>>;

  void keepAlive();
  // Writes every stream an event was queued on since the last flush: events that arrive in a
  // burst (already posted to this thread) go out in one sendmsg per stream.
  void flushPending();
  void closed(SseStream* s, bool dropped_slow);
  void forget(SseStream* s);
  // Runs `deliver` for each tab of each agent `pick` selects. Streams that close meanwhile are
  // removed after the walk (removing them inside it would move the vectors being walked).
  template <typename Pick, typename Deliver>
  void walk(Pick pick, Deliver deliver);

  ApiLimitMetrics& metrics_;
  prometheus::Gauge& streams_gauge_;
  std::chrono::milliseconds keepalive_;
  boost::asio::steady_timer timer_;
  std::unordered_map<std::string, Tabs> by_agent_;
  size_t count_ = 0;
  bool walking_ = false;
  std::vector<SseStream*> closed_in_walk_;
  std::vector<std::shared_ptr<SseStream>> pending_;  // queued on, to be flushed
  bool flush_posted_ = false;
  bool stopping_ = false;
};

}  // namespace callmesh::notification
