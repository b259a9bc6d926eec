// libFuzzer target: arbitrary bytes as every frame a service decodes from ZeroMQ (shared/codec),
// including a CallEventBatch read event by event as the receivers do.
#include <cstddef>
#include <cstdint>

#include "schemas/call.capnp.h"
#include "schemas/limiter.capnp.h"
#include "schemas/notification.capnp.h"
#include "schemas/presence.capnp.h"
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
  // A CallEventBatch read event by event where it lies, as agent-presence and notification read
  // it: a pointer of the wrong type must surface as kj::Exception (which they catch), not a crash.
  auto batch = codec::decode<schema::CallEventBatch>(data, size, "fuzz");
  if (batch.ok()) {
    try {
      for (auto ev : batch.value()->root().getEvents()) {
        (void)ev.getEventId();
        (void)ev.getCallId();
        if (ev.which() == schema::CallEvent::ENDED) {
          for (auto leg : ev.getEnded().getRungLegs()) (void)leg.getAgentId();
        }
      }
    } catch (const kj::Exception&) {
    }
  }
  return 0;
}
