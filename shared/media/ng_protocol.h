#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shared/base/result.h"
#include "shared/media/bencode.h"

namespace callmesh::media {

// rtpengine's ng control protocol, without sockets: a request is "<cookie> <bencoded dict>" in one
// UDP datagram and the reply echoes the cookie. The cookie is what makes retries safe: rtpengine
// answers a repeated cookie from its reply cache instead of running the command again (an `offer`
// sent twice allocates ports once), and it is how a late reply to an abandoned request is told
// from the answer to the current one.

// Cookies unique per process run: a random prefix (so two ingress processes behind one NAT, or a
// restarted one, never collide in rtpengine's cache) and a counter.
class NgCookies {
 public:
  explicit NgCookies(uint64_t seed);
  std::string next();

 private:
  std::string prefix_;
  uint64_t counter_ = 0;
};

// One datagram for `command` (its "command" key already set).
std::string encodeNgRequest(std::string_view cookie, const BDict& command);

struct NgReply {
  std::string cookie;
  BValue body;  // a dictionary
};

// Parses a datagram from rtpengine. Errors name what is wrong (no cookie, bad bencode, not a dict).
Result<NgReply> parseNgReply(std::string_view datagram, const BencodeLimits& limits = {});

// The reply's verdict: ok (result "ok" or "pong"), or an error carrying rtpengine's error-reason.
Result<BValue> ngOutcome(NgReply reply, std::string_view command);

}  // namespace callmesh::media
