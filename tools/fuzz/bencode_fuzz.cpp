// libFuzzer target: arbitrary bytes as a datagram from rtpengine's ng port (shared/media): the
// cookie split, the bounded bencode decoder, the verdict, and a re-encode of whatever decoded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shared/media/ng_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto reply = callmesh::media::parseNgReply(input);
  if (reply.ok()) {
    std::string again = callmesh::media::encodeBencode(reply->body);
    auto round = callmesh::media::decodeBencode(again);
    if (!round.ok() || !(round.value() == reply->body)) __builtin_trap();
    (void)callmesh::media::ngOutcome(std::move(reply.value()), "fuzz");
  }
  (void)callmesh::media::decodeBencode(input);
  return 0;
}
