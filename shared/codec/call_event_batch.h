#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <capnp/message.h>
#include <zmq.hpp>

#include "schemas/call.capnp.h"
#include "shared/codec/capnp_codec.h"
#include "shared/codec/event_ack.h"

namespace callmesh::codec {

// Builds one CallEventBatch frame from single-event frames (each a flat CallEvent message).
inline std::vector<uint8_t> encodeCallEventBatch(
    const std::vector<kj::ArrayPtr<const capnp::word>>& events) {
  capnp::MallocMessageBuilder mb;
  auto list =
      mb.initRoot<schema::CallEventBatch>().initEvents(static_cast<unsigned>(events.size()));
  for (size_t i = 0; i < events.size(); ++i) {
    capnp::FlatArrayMessageReader reader(events[i]);
    list.setWithCaveats(static_cast<unsigned>(i), reader.getRoot<schema::CallEvent>());
  }
  auto words = encode(mb);
  auto bytes = words.asBytes();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

inline std::vector<uint8_t> encodeCallEventBatch(
    const std::vector<kj::Array<capnp::word>>& events) {
  std::vector<kj::ArrayPtr<const capnp::word>> views;
  views.reserve(events.size());
  for (const auto& e : events) views.push_back(e.asPtr());
  return encodeCallEventBatch(views);
}

// Hands every event of a CallEventBatch frame, as its own CallEvent frame, to `handle_one`
// (the receiver's single-event handler), in order. The batch is acknowledged only when every
// event was handled; the first failure stops it and the publisher re-sends the whole batch.
template <typename HandleOne>
Result<std::vector<uint8_t>> handleCallEventBatch(const zmq::message_t& payload,
                                                  HandleOne&& handle_one) {
  auto decoded = decode<schema::CallEventBatch>(payload.data(), payload.size(), "CallEventBatch");
  if (!decoded.ok()) return decoded.error();
  std::string last_id;
  // A frame can be well-formed Cap'n Proto yet hold a pointer of the wrong type; the typed
  // getters then throw. Found by tools/fuzz/capnp_decode_fuzz; here it becomes an error value.
  capnp::List<schema::CallEvent>::Reader events;
  try {
    events = decoded.value()->root().getEvents();
  } catch (const kj::Exception& e) {
    return Error{ErrorKind::InvalidInput, e.getDescription().cStr(),
                 "decode CallEventBatch.events"};
  }
  for (auto ev : events) {
    capnp::MallocMessageBuilder one;
    try {
      one.setRoot(ev);
    } catch (const kj::Exception& e) {
      return Error{ErrorKind::InvalidInput, e.getDescription().cStr(),
                   "decode CallEventBatch.events[]"};
    }
    auto words = encode(one);
    auto bytes = words.asBytes();
    zmq::message_t frame(bytes.begin(), bytes.size());
    auto handled = handle_one(frame);
    if (!handled.ok()) return handled.error();
    last_id = one.getRoot<schema::CallEvent>().asReader().getEventId();
  }
  return encodeEventAck(last_id);
}

}  // namespace callmesh::codec
