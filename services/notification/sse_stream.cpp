#include "services/notification/sse_stream.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include <boost/asio/write.hpp>

namespace callmesh::notification {

namespace asio = boost::asio;

std::string httpChunk(const std::string& text) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", text.size());
  return size + text + "\r\n";
}

std::string sseChunk(const StreamEvent& e) {
  return httpChunk("id: " + std::to_string(e.seq) + "\nevent: " + e.name + "\ndata: " + e.data +
                   "\n\n");
}

SseStream::SseStream(asio::ip::tcp::socket socket, StreamGrant grant, std::shared_ptr<void> held,
                     size_t max_queued_bytes, OnClosed on_closed)
    : socket_(std::move(socket)),
      grant_(std::move(grant)),
      held_(std::move(held)),
      max_queued_bytes_(max_queued_bytes),
      on_closed_(std::move(on_closed)) {}

void SseStream::start(std::string head) {
  // A small kernel send buffer keeps the memory a stalled client can pin small (5,000 streams
  // with the kernel's autotuned megabytes each would not be), and makes a stall visible here.
  boost::system::error_code ignored;
  socket_.set_option(asio::socket_base::send_buffer_size(64 * 1024), ignored);
  auto first = std::make_shared<const std::string>(std::move(head));
  queued_bytes_ += first->size();
  queue_.push_back(std::move(first));
  writeQueued();
  watchPeer();
}

void SseStream::deliver(const Chunk& chunk) {
  if (closed_) return;
  if (queued_bytes_ + chunk->size() > max_queued_bytes_) return close(true);
  queued_bytes_ += chunk->size();
  queue_.push_back(chunk);
  if (!writing_) writeQueued();
}

void SseStream::writeQueued() {
  if (closed_ || queue_.empty()) return;
  writing_ = true;
  write_started_ = std::chrono::steady_clock::now();
  // One gathered write for everything queued: fewer syscalls when events come in bursts.
  in_flight_.swap(queue_);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(in_flight_.size());
  for (const auto& c : in_flight_) buffers.emplace_back(asio::buffer(*c));
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](boost::system::error_code ec, size_t written) {
                      self->writing_ = false;
                      self->queued_bytes_ -= std::min(self->queued_bytes_, written);
                      self->in_flight_.clear();
                      if (ec) return self->close();
                      self->writeQueued();
                    });
}

void SseStream::watchPeer() {
  socket_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](boost::system::error_code ec, size_t) {
                            if (ec) return self->close();  // EOF or reset: the client left
                            self->watchPeer();
                          });
}

void SseStream::close(bool dropped_slow) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  queue_.clear();
  held_.reset();  // the connection slot and the stream slot are free now
  grant_.slot.reset();
  if (on_closed_) on_closed_(this, dropped_slow);
}

}  // namespace callmesh::notification
