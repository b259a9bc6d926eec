#pragma once

// One open GET /v1/stream on a stream thread: a socket, the grant that says which events it
// shows, and a bounded queue of chunks not yet written. No thread of its own. Writes are tried at
// once without blocking (a non-blocking writev on a socket whose kernel buffer has room, as it
// has for a client that keeps up: no asynchronous operation, no handler, no allocation); only
// what the kernel did not take waits for the socket to become writable. A client that reads
// slower than events arrive is dropped once its queue passes the bound (its console reconnects
// and re-reads the lists), instead of growing memory.
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
  // Events are encoded once and the same immutable buffer is queued on every stream that shows
  // them.
  using Chunk = std::shared_ptr<const std::string>;
  // Called once, on the stream's thread, when the stream is gone (peer closed, error, dropped).
  using OnClosed = std::function<void(SseStream*, bool dropped_slow)>;

  // `held` is what the stream keeps until it closes (its connection slot).
  SseStream(boost::asio::ip::tcp::socket socket, StreamGrant grant, std::shared_ptr<void> held,
            size_t max_queued_bytes, OnClosed on_closed);

  // Writes the response head and first bytes, and watches for the peer going away.
  void start(std::string head);
  bool shows(const StreamEvent& e) const { return grant_.shows(e); }
  const std::string& agent() const { return grant_.agent; }
  // Queues one chunk (already framed) and writes what the socket takes now. Over the bound, the
  // stream is dropped.
  void deliver(const Chunk& chunk);
  // Queues one chunk without writing it yet; true when the stream now waits for flush() (the
  // caller flushes each such stream once after a burst of events: one sendmsg for the burst).
  bool enqueue(const Chunk& chunk);
  // Writes queued chunks until the queue is empty or the kernel buffer is full (then waits for
  // the socket to be writable and goes on).
  void flush();
  // True when bytes have waited for the socket since before `since`: the client stopped reading.
  bool stalled(std::chrono::steady_clock::time_point since) const {
    return waiting_ && wait_started_ < since;
  }
  void close(bool dropped_slow = false);
  bool closed() const { return closed_; }

 private:
  void watchPeer();

  boost::asio::ip::tcp::socket socket_;
  StreamGrant grant_;
  std::shared_ptr<void> held_;
  size_t max_queued_bytes_;
  OnClosed on_closed_;
  std::deque<Chunk> queue_;
  size_t front_sent_ = 0;  // bytes of queue_.front() already written
  size_t queued_bytes_ = 0;
  bool waiting_ = false;  // a wait for writability is pending
  bool pending_ = false;  // enqueued, flush() not yet called
  bool closed_ = false;
  std::chrono::steady_clock::time_point wait_started_;
  char discard_[512];  // a stream's client has nothing to say; what it sends is read and dropped
};

// SSE text of one event ("id:", "event:", "data:", blank line) as one HTTP/1.1 chunk.
std::string sseChunk(const StreamEvent& e);
// `text` framed as one chunk of Transfer-Encoding: chunked.
std::string httpChunk(const std::string& text);

}  // namespace callmesh::notification
