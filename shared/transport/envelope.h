#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <capnp/common.h>
#include <kj/array.h>
#include <zmq.hpp>

namespace callmesh::transport {

// Every message between services is three ZeroMQ frames (a ROUTER prepends the peer identity):
//   [type]        short ASCII name of the capnp struct family ("route", "limiter", "call-event")
//   [request-id]  8 bytes, little-endian; the reply carries the same id; for call events it is
//                 the publisher's sequence number and the reply is the acknowledgement
//   [payload]     one flat Cap'n Proto message (schemas/*.capnp)
// Correlation lives here, not in the schemas, so the transport can retry and expire requests
// without decoding payloads.
namespace message_type {
inline constexpr std::string_view kRoute = "route";
inline constexpr std::string_view kLimiter = "limiter";
inline constexpr std::string_view kPresence = "presence";
inline constexpr std::string_view kCallEvent = "call-event";
inline constexpr std::string_view kCallEvents = "call-events";  // CallEventBatch
inline constexpr std::string_view kNotification = "notification";
inline constexpr std::string_view kRecording = "recording";  // RecordingCommand (media.capnp)
}  // namespace message_type

inline zmq::message_t encodeRequestId(uint64_t id) {
  zmq::message_t m(sizeof(id));
  uint8_t* p = static_cast<uint8_t*>(m.data());
  for (size_t i = 0; i < sizeof(id); ++i) p[i] = static_cast<uint8_t>(id >> (8 * i));
  return m;
}

inline bool decodeRequestId(const zmq::message_t& m, uint64_t& id) {
  if (m.size() != sizeof(uint64_t)) return false;
  const uint8_t* p = static_cast<const uint8_t*>(m.data());
  id = 0;
  for (size_t i = 0; i < sizeof(id); ++i) id |= static_cast<uint64_t>(p[i]) << (8 * i);
  return true;
}

// Zero-copy send of a flat capnp array: libzmq frees it on its I/O thread when sent.
inline zmq::message_t payloadMessage(kj::Array<capnp::word>&& words) {
  auto* holder = new kj::Array<capnp::word>(kj::mv(words));
  auto bytes = holder->asBytes();
  return zmq::message_t(
      bytes.begin(), bytes.size(),
      [](void*, void* hint) { delete static_cast<kj::Array<capnp::word>*>(hint); }, holder);
}

}  // namespace callmesh::transport
