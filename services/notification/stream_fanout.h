#pragma once

// Every open stream of this replica, on the io thread: an event from the bus is rendered once and
// queued on each stream that shows it; a timer sends a comment to keep idle streams (and the
// proxies in front) alive and drops streams whose writes have not moved for several periods.
#include <chrono>
#include <memory>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "services/notification/api_gate.h"
#include "services/notification/sse_stream.h"

namespace callmesh::notification {

class StreamFanout {
 public:
  // `streams_gauge` is callmesh_notification_api_streams.
  StreamFanout(boost::asio::io_context& io, ApiLimitMetrics& metrics,
               prometheus::Gauge& streams_gauge, int keepalive_ms);

  // Takes over a granted stream (io thread).
  void open(boost::asio::ip::tcp::socket socket, StreamGrant grant, std::shared_ptr<void> held,
            size_t max_queued_bytes, std::string head);
  // One event to every stream that shows it (io thread).
  void broadcast(const StreamEvent& e);
  void startKeepAlive();
  // Closes every stream and stops the timer (io thread).
  void closeAll();
  size_t size() const { return streams_.size(); }

 private:
  void keepAlive();
  void closed(SseStream* s, bool dropped_slow);

  ApiLimitMetrics& metrics_;
  prometheus::Gauge& streams_gauge_;
  std::chrono::milliseconds keepalive_;
  boost::asio::steady_timer timer_;
  std::unordered_map<SseStream*, std::shared_ptr<SseStream>> streams_;
  bool stopping_ = false;
};

}  // namespace callmesh::notification
