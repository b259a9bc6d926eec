// notification's CallEventBatch path against a real redis-server (NotificationService): every
// event of the batch is read where it lies in the frame, the ends become call records, the batch
// is acknowledged with its last event's id, and a re-sent batch writes nothing twice. The
// single-event frame (an older ingress) still works beside it.
#include <gtest/gtest.h>

#include <capnp/message.h>
#include <prometheus/registry.h>

#include "schemas/call.capnp.h"
#include "services/notification/call_record_store.h"
#include "services/notification/contact_book.h"
#include "services/notification/notification_service.h"
#include "services/notification/notification_store.h"
#include "services/notification/number_settings.h"
#include "shared/codec/capnp_codec.h"
#include "shared/log/logger.h"
#include "shared/redis/hiredis_client.h"
#include "shared/redis/keys.h"
#include "shared/testing/redis_server.h"

namespace callmesh::notification {
namespace {

constexpr int64_t kNow = 1700000000000;

void fillEvent(schema::CallEvent::Builder ev, const std::string& id, const std::string& call,
               bool ended) {
  ev.setEventId(id);
  ev.setCallId(call);
  ev.setDialed("+15550100");
  ev.setCaller("+15557770001");
  ev.setAtMs(kNow);
  ev.setKind(schema::CallKind::VOICE);
  if (!ended) {
    ev.setOffered();
    return;
  }
  auto end = ev.initEnded();
  end.setAnswered(false);
  end.setReason(schema::EndReason::NO_ANSWER);
  end.setStatus(480);
  end.setDurationMs(20000);
  end.setNumber("+15550100");
  end.setRule("forward");
  auto leg = end.initRungLegs(1)[0];
  leg.setNumber("+15550111");
  leg.setUri("sip:+15550111@127.0.0.1");
  end.initLegEnds(1)[0].setStatus(408);
}

struct Event {
  std::string id, call;
  bool ended;
};

zmq::message_t batchOf(const std::vector<Event>& events) {
  capnp::MallocMessageBuilder mb;
  auto list =
      mb.initRoot<schema::CallEventBatch>().initEvents(static_cast<unsigned>(events.size()));
  for (unsigned i = 0; i < events.size(); ++i) {
    fillEvent(list[i], events[i].id, events[i].call, events[i].ended);
  }
  auto bytes = codec::encodeToBytes(mb);
  return zmq::message_t(bytes.data(), bytes.size());
}

zmq::message_t single(const Event& e) {
  capnp::MallocMessageBuilder mb;
  fillEvent(mb.initRoot<schema::CallEvent>(), e.id, e.call, e.ended);
  auto bytes = codec::encodeToBytes(mb);
  return zmq::message_t(bytes.data(), bytes.size());
}

std::string ackedId(const Result<std::vector<uint8_t>>& reply) {
  EXPECT_TRUE(reply.ok()) << reply.error().describe();
  if (!reply.ok()) return {};
  auto ack = codec::decode<schema::EventAck>(reply->data(), reply->size(), "EventAck");
  EXPECT_TRUE(ack.ok());
  return ack.ok() ? std::string(ack.value()->root().getEventId().cStr()) : std::string();
}

class NotificationBatchIntegration : public ::testing::Test {
 protected:
  int64_t streamLength() { return redis_.command({"XLEN", redis::record_keys::kStream})->integer; }

  testing::RedisServer server_;
  redis::HiredisClient redis_{{server_.host(), server_.port(), 2000}};
  CallRecordStore records_{redis_, config::CallRecordSettings{}};
  NotificationStore store_{redis_};
  ContactBook contacts_{redis_};
  NumberSettingsBook numbers_{redis_, {}};
  prometheus::Registry registry_;
  NotificationMetrics metrics_{registry_};
  Logger log_{"notification-test", LogLevel::Error};
  NotificationService service_{records_, store_, contacts_, numbers_, redis_, metrics_, log_};
};

TEST_F(NotificationBatchIntegration, EveryEventIsReadInPlaceAndEachEndRecordedOnce) {
  zmq::message_t batch = batchOf({{"ing:1", "c1", false},
                                  {"ing:2", "c2", false},
                                  {"ing:3", "c1", true},
                                  {"ing:4", "c2", true}});
  EXPECT_EQ(ackedId(service_.handleCallEventBatch(batch)), "ing:4");
  EXPECT_EQ(metrics_.events.Value(), 4);
  EXPECT_EQ(streamLength(), 2);
  for (const char* call : {"c1", "c2"}) {
    auto record = records_.get(call);
    ASSERT_TRUE(record.ok() && record.value()) << call;
    EXPECT_EQ((*record.value())["outcome"], "no_answer") << call;
    EXPECT_EQ((*record.value())["number"], "+15550100") << call;
  }

  // The ingress re-sends a batch whose ack it lost: the same ack, nothing written twice.
  zmq::message_t again = batchOf({{"ing:3", "c1", true}, {"ing:4", "c2", true}});
  EXPECT_EQ(ackedId(service_.handleCallEventBatch(again)), "ing:4");
  EXPECT_EQ(streamLength(), 2);
  EXPECT_EQ(metrics_.duplicates.Value(), 2);

  // A single-event frame, as an ingress without batches sends it.
  EXPECT_EQ(ackedId(service_.handleCallEvent(single({"ing:5", "c3", true}))), "ing:5");
  EXPECT_EQ(streamLength(), 3);
  EXPECT_TRUE(records_.get("c3").value());
  EXPECT_EQ(ackedId(service_.handleCallEvent(single({"ing:6", "c4", false}))), "ing:6");
  EXPECT_EQ(streamLength(), 3);  // an offer records nothing
  EXPECT_EQ(metrics_.decode_errors.Value(), 0);
}

TEST_F(NotificationBatchIntegration, AFrameThatIsNotABatchIsRefusedAndCounted) {
  const char junk[] = "not a capnp message";
  zmq::message_t frame(junk, sizeof junk);
  auto reply = service_.handleCallEventBatch(frame);
  EXPECT_FALSE(reply.ok());
  EXPECT_EQ(metrics_.decode_errors.Value(), 1);
  EXPECT_EQ(streamLength(), 0);
}

}  // namespace
}  // namespace callmesh::notification
