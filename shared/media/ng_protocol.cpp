#include "shared/media/ng_protocol.h"

#include <cstdio>

namespace callmesh::media {

NgCookies::NgCookies(uint64_t seed) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%012llx",
                static_cast<unsigned long long>(seed & 0xffffffffffffULL));
  prefix_ = buf;
}

std::string NgCookies::next() { return prefix_ + "_" + std::to_string(++counter_); }

std::string encodeNgRequest(std::string_view cookie, const BDict& command) {
  std::string out(cookie);
  out += ' ';
  appendBencode(BValue(command), out);
  return out;
}

Result<NgReply> parseNgReply(std::string_view datagram, const BencodeLimits& limits) {
  size_t space = datagram.find(' ');
  // Cookies are short tokens (ours are 20-odd bytes); anything longer is not a reply of ours.
  if (space == std::string_view::npos || space == 0 || space > 64)
    return invalidInput("no cookie before the first space", "ng reply");
  auto body = decodeBencode(datagram.substr(space + 1), limits);
  if (!body.ok())
    return Error{body.error().kind, body.error().message, "ng reply: " + body.error().context};
  if (!body->isDict()) return invalidInput("body is not a dictionary", "ng reply");
  return NgReply{std::string(datagram.substr(0, space)), std::move(body.value())};
}

Result<BValue> ngOutcome(NgReply reply, std::string_view command) {
  std::string result = reply.body.stringAt("result");
  if (result == "ok" || result == "pong") return std::move(reply.body);
  std::string context = "rtpengine " + std::string(command);
  if (result == "error") {
    std::string why = reply.body.stringAt("error-reason");
    // A call rtpengine does not know (already deleted, timed out) is a fact, not a failure.
    ErrorKind kind = why.find("Unknown call") != std::string::npos ? ErrorKind::NotFound
                                                                   : ErrorKind::InvalidInput;
    return Error{kind, why.empty() ? "error without a reason" : why, context};
  }
  return Error{ErrorKind::Internal, "unexpected result '" + result.substr(0, 64) + "'", context};
}

}  // namespace callmesh::media
