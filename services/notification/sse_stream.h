#pragma once

// One open GET /v1/stream on the io thread: a socket, the grant that says which events it shows,
// and a bounded queue of chunks not yet written. No thread of its own: writes are asynchronous,
// and a client that reads slower than events arrive is dropped once its queue passes the bound
// (its console reconnects and re-reads the lists), instead of growing memory.
#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "services/notification/event_hub.h"
#include "services/notification/http_router.h"

namespace callmesh::notification {

class SseStream : public std::enable_shared_from_this<SseStream> {
 public:
  using Chunk = std::shared_ptr<const std::string>;
  // Called once, on the io thread, when the stream is gone (peer closed, error, dropped).
  using OnClosed = std::function<void(SseStream*, bool dropped_slow)>;

  // `held` is what the stream keeps until it closes (its connection slot).
  SseStream(boost::asio::ip::tcp::socket socket, StreamGrant grant, std::shared_ptr<void> held,
            size_t max_queued_bytes, OnClosed on_closed);

  // Writes the response head and first bytes, and watches for the peer going away.
  void start(std::string head);
  bool shows(const StreamEvent& e) const { return grant_.shows(e); }
  const std::string& agent() const { return grant_.agent; }
  // Queues one chunk (already framed). Over the bound, the stream is dropped.
  void deliver(const Chunk& chunk);
  // True when a write has been pending since before `since`: the client stopped reading.
  bool stalled(std::chrono::steady_clock::time_point since) const {
    return writing_ && write_started_ < since;
  }
  void close(bool dropped_slow = false);
  bool closed() const { return closed_; }

 private:
  void writeQueued();
  void watchPeer();

  boost::asio::ip::tcp::socket socket_;
  StreamGrant grant_;
  std::shared_ptr<void> held_;
  size_t max_queued_bytes_;
  OnClosed on_closed_;
  std::deque<Chunk> queue_;
  size_t queued_bytes_ = 0;
  std::deque<Chunk> in_flight_;  // what the pending write points into
  bool writing_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point write_started_;
  char discard_[512];  // a stream's client has nothing to say; what it sends is read and dropped
};

// SSE text of one event ("id:", "event:", "data:", blank line) as one HTTP/1.1 chunk.
std::string sseChunk(const StreamEvent& e);
// `text` framed as one chunk of Transfer-Encoding: chunked.
std::string httpChunk(const std::string& text);

}  // namespace callmesh::notification
