#include "services/notification/sse_stream.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>

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
  socket_.non_blocking(true, ignored);  // flush() writes directly and must never block
  deliver(std::make_shared<const std::string>(std::move(head)));
  if (!closed_) watchPeer();
}

void SseStream::deliver(const Chunk& chunk) {
  if (enqueue(chunk)) flush();
}

bool SseStream::enqueue(const Chunk& chunk) {
  if (closed_) return false;
  if (queued_bytes_ + chunk->size() > max_queued_bytes_) {
    close(true);
    return false;
  }
  queued_bytes_ += chunk->size();
  queue_.push_back(chunk);
  // While a wait for writability is pending, that wait's flush() takes this chunk too.
  if (waiting_ || pending_) return false;
  pending_ = true;
  return true;
}

void SseStream::flush() {
  if (waiting_) return;  // the pending wait for writability flushes when the socket takes more
  pending_ = false;
  // At most this many chunks per sendmsg: a backlog goes out in few system calls.
  constexpr size_t kGather = 16;
  while (!closed_ && !queue_.empty()) {
    std::array<iovec, kGather> iov{};
    size_t n = 0;
    for (auto it = queue_.begin(); it != queue_.end() && n < kGather; ++it, ++n) {
      size_t skip = n == 0 ? front_sent_ : 0;
      iov[n].iov_base = const_cast<char*>((*it)->data() + skip);
      iov[n].iov_len = (*it)->size() - skip;
    }
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = n;
    // Straight to the kernel: the socket is non-blocking; MSG_NOSIGNAL as Asio does (a peer that
    // left is an EPIPE here, not a SIGPIPE).
    ssize_t sent = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (sent < 0) return close();
    if (sent == 0) break;  // nothing taken: wait for writability rather than spin
    auto left = static_cast<size_t>(sent);
    queued_bytes_ -= std::min(queued_bytes_, left);
    while (left > 0) {
      size_t rest = queue_.front()->size() - front_sent_;
      if (left < rest) {
        front_sent_ += left;
        break;
      }
      left -= rest;
      front_sent_ = 0;
      queue_.pop_front();
    }
  }
  if (closed_ || queue_.empty()) return;
  // The kernel buffer is full: wait until the client has read some of it.
  wait_started_ = std::chrono::steady_clock::now();
  waiting_ = true;
  socket_.async_wait(asio::socket_base::wait_write,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       self->waiting_ = false;
                       if (ec) return self->close();
                       self->flush();
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
  auto keep = shared_from_this();  // on_closed_ may drop the owner's reference
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  queue_.clear();
  held_.reset();  // the connection slot and the stream slot are free now
  grant_.slot.reset();
  if (on_closed_) on_closed_(this, dropped_slow);
}

}  // namespace callmesh::notification
