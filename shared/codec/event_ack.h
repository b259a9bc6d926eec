#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <capnp/message.h>

#include "schemas/call.capnp.h"
#include "shared/codec/capnp_codec.h"

namespace callmesh::codec {

// The acknowledgement a receiver returns once a CallEvent is durably handled.
inline std::vector<uint8_t> encodeEventAck(std::string_view event_id) {
  codec::FrameBuilder mb;
  mb.initRoot<schema::EventAck>().setEventId(capnp::Text::Reader(event_id.data(), event_id.size()));
  auto words = encode(mb);
  auto bytes = words.asBytes();
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace callmesh::codec
