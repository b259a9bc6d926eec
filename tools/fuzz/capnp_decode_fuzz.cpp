// libFuzzer target: arbitrary bytes as every frame a service decodes from ZeroMQ (shared/codec),
// including a CallEventBatch unpacked event by event as the receivers do.
#include <cstddef>
#include <cstdint>

#include "schemas/call.capnp.h"
#include "schemas/limiter.capnp.h"
#include "schemas/notification.capnp.h"
#include "schemas/presence.capnp.h"
#include "shared/codec/call_event_batch.h"
#include "shared/codec/capnp_codec.h"

using namespace callmesh;

namespace {
template <typename T>
void decodeAs(const uint8_t* data, size_t size) {
  auto d = codec::decode<T>(data, size, "fuzz");
  if (d.ok()) (void)d.value()->root().totalSize();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  decodeAs<schema::RouteRequest>(data, size);
  decodeAs<schema::RouteDecision>(data, size);
  decodeAs<schema::CallEvent>(data, size);
  decodeAs<schema::LimiterRequest>(data, size);
  decodeAs<schema::LimiterReply>(data, size);
  decodeAs<schema::PresenceRequest>(data, size);
  decodeAs<schema::NotificationEvent>(data, size);
  zmq::message_t frame(data, size);
  (void)codec::handleCallEventBatch(
      frame, [](const zmq::message_t& one) -> Result<std::vector<uint8_t>> {
        auto ev = codec::decode<schema::CallEvent>(one.data(), one.size(), "CallEvent");
        if (!ev.ok()) return ev.error();
        return std::vector<uint8_t>{};
      });
  return 0;
}
