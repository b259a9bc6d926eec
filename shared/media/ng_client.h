#pragma once

#include <cstdint>
#include <string>

#include "shared/base/result.h"
#include "shared/media/bencode.h"
#include "shared/media/ng_protocol.h"

namespace callmesh::media {

struct NgClientSettings {
  std::string address;        // rtpengine's --listen-ng, "host:port" (an IP literal)
  int timeout_ms = 300;       // the whole request, retries included
  int attempts = 3;           // datagrams sent per request, spread evenly over timeout_ms
  int retry_after_ms = 2000;  // after a timeout, requests fail at once this long (one probe passes)
};

// When rtpengine stopped answering, further requests fail at once instead of each blocking its
// caller for a whole timeout; one request per retry_after_ms goes through as a probe. Pure (the
// caller passes the time) so unit tests drive it.
class NgBreaker {
 public:
  explicit NgBreaker(int64_t retry_after_ms) : retry_after_ms_(retry_after_ms) {}
  // True when a request may be sent now (closed, or the probe of an open breaker).
  bool allow(int64_t now_ms);
  void succeeded() { open_ = false; }
  void failed(int64_t now_ms) {
    open_ = true;
    opened_ms_ = now_ms;
  }
  bool open() const { return open_; }

 private:
  int64_t retry_after_ms_;
  bool open_ = false;
  int64_t opened_ms_ = 0;
};

// A blocking ng client over one connected UDP socket. Each request waits at most timeout_ms for
// its reply (poll on the socket with the remaining time; resends the same cookie every
// timeout_ms/attempts). Blocking is chosen over a loop-integrated socket because rtpengine runs on
// the ingress's own host (loopback, ~0.1-0.3 ms per command measured), so a command costs the SIP
// thread about what parsing one more SIP message does, and the call logic keeps its synchronous
// shape; the breaker bounds what a dead rtpengine costs to one timeout per retry_after_ms.
// ECONNREFUSED (ICMP port unreachable on loopback: rtpengine not running) fails at once.
class NgClient {
 public:
  static Result<NgClient> open(const NgClientSettings& settings, uint64_t cookie_seed);
  NgClient(NgClient&& other) noexcept;
  NgClient& operator=(NgClient&&) = delete;
  NgClient(const NgClient&) = delete;
  ~NgClient();

  // Sends `command` (a dictionary; its "command" key set here) and returns rtpengine's reply on
  // "ok"; an Error otherwise: Timeout, Disconnected (refused or breaker open), NotFound (unknown
  // call), InvalidInput (rtpengine's error-reason).
  Result<BValue> request(std::string_view name, BDict command);
  bool breakerOpen() const { return breaker_.open(); }
  const std::string& address() const { return settings_.address; }

 private:
  NgClient(NgClientSettings settings, int fd, uint64_t cookie_seed);
  NgClientSettings settings_;
  int fd_ = -1;
  NgCookies cookies_;
  NgBreaker breaker_;
};

}  // namespace callmesh::media
