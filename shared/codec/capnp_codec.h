#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include "shared/base/result.h"

namespace callmesh::codec {

// Limits applied to every frame from the wire. Our largest message (a ring plan with a few
// dozen targets) is a few KB; anything far past that is hostile or a bug.
struct DecodeLimits {
  size_t max_bytes = 256 * 1024;
  uint64_t traversal_limit_words = 64 * 1024;
  int nesting_limit = 16;
};

// A decoded message that owns its word-aligned copy of the bytes. Received ZeroMQ frames are
// misaligned (DEPS.md gotcha 3) and Debian's capnp rejects unaligned input, so we always copy;
// our frames are small, and the copy is cheaper than the failure.
template <typename T>
class Decoded {
 public:
  Decoded(kj::Array<capnp::word> words, const capnp::ReaderOptions& options)
      : words_(kj::mv(words)), reader_(words_.asPtr(), options) {}
  typename T::Reader root() { return reader_.getRoot<T>(); }

 private:
  kj::Array<capnp::word> words_;
  capnp::FlatArrayMessageReader reader_;
};

// Copies `data` into aligned storage, checks size and limits, and traverses the whole message
// once so a malformed pointer is reported here, with `type_name`, rather than deep in a handler.
template <typename T>
Result<std::unique_ptr<Decoded<T>>> decode(const void* data, size_t size,
                                           std::string_view type_name,
                                           const DecodeLimits& limits = {}) {
  std::string ctx = "decode " + std::string(type_name);
  if (size == 0) return Error{ErrorKind::InvalidInput, "empty frame", ctx};
  if (size > limits.max_bytes) {
    return Error{ErrorKind::InvalidInput,
                 "frame of " + std::to_string(size) + " bytes exceeds limit " +
                     std::to_string(limits.max_bytes),
                 ctx};
  }
  if (size % sizeof(capnp::word) != 0) {
    return Error{ErrorKind::InvalidInput,
                 "frame of " + std::to_string(size) + " bytes is not a whole number of words", ctx};
  }
  auto words = kj::heapArray<capnp::word>(size / sizeof(capnp::word));
  std::memcpy(words.begin(), data, size);
  capnp::ReaderOptions options;
  options.traversalLimitInWords = limits.traversal_limit_words;
  options.nestingLimit = limits.nesting_limit;
  try {
    auto decoded = std::make_unique<Decoded<T>>(kj::mv(words), options);
    // totalSize() walks every pointer: validates the whole message up front.
    (void)decoded->root().totalSize();
    return decoded;
  } catch (const kj::Exception& e) {
    return Error{ErrorKind::InvalidInput, std::string(e.getDescription().cStr()), ctx};
  }
}

// The first segment of every frame we build. Our requests, replies and events are a few hundred
// bytes, and MallocMessageBuilder's default first segment (1,024 words) is an 8 KB calloc, zeroed,
// for each of them: several per call. A bigger message grows into further segments as usual.
constexpr unsigned kFirstSegmentWords = 128;

// The builder for one frame a service sends (a request, a reply, an event): the first segment
// above, the rest as capnp::MallocMessageBuilder does it.
class FrameBuilder : public capnp::MallocMessageBuilder {
 public:
  FrameBuilder() : capnp::MallocMessageBuilder(kFirstSegmentWords) {}
};

// Flattens a builder into one contiguous array (the wire form of a frame).
inline kj::Array<capnp::word> encode(capnp::MessageBuilder& builder) {
  return capnp::messageToFlatArray(builder);
}

// The same, copied into bytes: for a payload kept in a queue or retried (a vector owns itself).
inline std::vector<uint8_t> encodeToBytes(capnp::MessageBuilder& builder) {
  auto words = encode(builder);
  auto bytes = words.asBytes();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace callmesh::codec
