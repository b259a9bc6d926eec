#pragma once

#include <cstdint>
#include <vector>

#include <capnp/message.h>

#include "schemas/call.capnp.h"
#include "shared/codec/capnp_codec.h"

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

}  // namespace callmesh::codec
