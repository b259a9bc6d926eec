// CallEventPublisher over real ZeroMQ sockets (inproc): what each subscriber is sent.
#include "services/ingress/call_event_publisher.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shared/codec/call_event_batch.h"
#include "shared/codec/capnp_codec.h"
#include "shared/codec/event_ack.h"
#include "shared/testing/fake_request_link.h"
#include "shared/testing/manual_clock.h"
#include "shared/transport/envelope.h"
#include "shared/transport/reply_server.h"

namespace callmesh::ingress {
namespace {

// One receiver: acknowledges every batch and keeps the kinds of the events it was sent.
struct Receiver {
  Receiver(zmq::context_t& ctx, const std::string& endpoint) : server(ctx, endpoint, {}) {
    server.handle(std::string(transport::message_type::kCallEvents),
                  [this](const zmq::message_t& payload) {
                    ++batches;
                    auto batch = codec::decode<schema::CallEventBatch>(
                        payload.data(), payload.size(), "CallEventBatch");
                    if (!batch.ok()) return Result<std::vector<uint8_t>>(batch.error());
                    std::string last;
                    for (auto root : batch.value()->root().getEvents()) {
                      kinds.push_back(std::to_string(static_cast<int>(root.which())) + ":" +
                                      std::string(root.getCallId().cStr()));
                      last = root.getEventId().cStr();
                    }
                    return Result<std::vector<uint8_t>>(codec::encodeEventAck(last));
                  });
  }
  transport::ReplyServer server;
  int batches = 0;
  std::vector<std::string> kinds;
};

std::string kindOf(schema::CallEvent::Which which, const std::string& call) {
  return std::to_string(static_cast<int>(which)) + ":" + call;
}

// Issue 20: every end is a call detail record, so the notification service gets every end (and
// decides there which need a follow-up, seed 004); it is sent no other event.
TEST(CallEventPublisher, PresenceGetsEveryEventAndNotificationEveryEnd) {
  zmq::context_t ctx(1);
  SystemClock clock;
  Receiver presence(ctx, "inproc://presence");
  Receiver notification(ctx, "inproc://notification");
  transport::RequestClientOptions options{1000, 0, 1000};
  transport::RequestClient to_presence(ctx, {"inproc://presence"},
                                       std::string(transport::message_type::kCallEvents), clock,
                                       options, {});
  transport::RequestClient to_notification(ctx, {"inproc://notification"},
                                           std::string(transport::message_type::kCallEvents), clock,
                                           options, {});
  CallEventPublisher events("ingress-1", clock,
                            {{&to_presence, false}, {&to_notification, /*ends_only=*/true}});
  CallIdentity call{"c1", "+15550100", "+15557770001", schema::CallKind::VOICE};
  LegInfo leg{"sip:+15550199@127.0.0.1:5099", "+15550199", "alice"};
  events.offered(call, "company_blast");
  events.legRinging(call, leg);
  events.answered(call, leg);
  CallEndInfo end;
  end.answered = true;
  end.answered_by = leg;
  end.rung_legs = {leg};
  events.ended(call, end);
  // Ends nobody follows up (answered at a phone without an agent, refused before ringing, an
  // agent's own outbound call) still reach it: each is a call record.
  CallEndInfo plain_phone;
  plain_phone.answered = true;
  plain_phone.answered_by = LegInfo{"sip:+15550198@127.0.0.1:5098", "+15550198", ""};
  events.ended(CallIdentity{"c3", "+15550100", "+15557770003", schema::CallKind::VOICE},
               plain_phone);
  CallEndInfo refused;
  refused.reason = schema::EndReason::REJECTED;
  refused.status = 486;
  events.ended(CallIdentity{"c4", "+15550100", "+15557770004", schema::CallKind::VOICE}, refused);
  CallEndInfo outbound;
  outbound.reason = schema::EndReason::NO_ANSWER;
  outbound.rule = "outbound_caller_id";
  events.ended(CallIdentity{"c5", "+15557770005", "alice", schema::CallKind::VOICE}, outbound);
  CallEndInfo missed;
  missed.reason = schema::EndReason::NO_ANSWER;
  missed.rung_legs = {leg};
  events.ended(CallIdentity{"c6", "+15550100", "+15557770006", schema::CallKind::VOICE}, missed);
  events.flush();
  // A flush that holds no end sends the notification service nothing at all.
  CallIdentity other{"c2", "+15550100", "+15557770002", schema::CallKind::VOICE};
  events.offered(other, "");
  events.flush();

  for (int i = 0; i < 400 && (to_presence.pending() > 0 || to_notification.pending() > 0); ++i) {
    presence.server.serveReady();
    notification.server.serveReady();
    to_presence.onReadable();
    to_notification.onReadable();
    zmq::pollitem_t items[] = {{presence.server.socket().handle(), 0, ZMQ_POLLIN, 0},
                               {notification.server.socket().handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, 2, std::chrono::milliseconds(5));
  }
  EXPECT_EQ(to_presence.pending(), 0u);
  EXPECT_EQ(to_notification.pending(), 0u);
  EXPECT_EQ(presence.batches, 2);
  EXPECT_EQ(
      presence.kinds,
      (std::vector<std::string>{
          kindOf(schema::CallEvent::OFFERED, "c1"), kindOf(schema::CallEvent::LEG_RINGING, "c1"),
          kindOf(schema::CallEvent::ANSWERED, "c1"), kindOf(schema::CallEvent::ENDED, "c1"),
          kindOf(schema::CallEvent::ENDED, "c3"), kindOf(schema::CallEvent::ENDED, "c4"),
          kindOf(schema::CallEvent::ENDED, "c5"), kindOf(schema::CallEvent::ENDED, "c6"),
          kindOf(schema::CallEvent::OFFERED, "c2")}));
  EXPECT_EQ(notification.batches, 1);
  EXPECT_EQ(notification.kinds,
            (std::vector<std::string>{
                kindOf(schema::CallEvent::ENDED, "c1"), kindOf(schema::CallEvent::ENDED, "c3"),
                kindOf(schema::CallEvent::ENDED, "c4"), kindOf(schema::CallEvent::ENDED, "c5"),
                kindOf(schema::CallEvent::ENDED, "c6")}));
  EXPECT_EQ(events.published(), 9u);
  EXPECT_EQ(events.dropped(), 0u);
}

// The event ids in one batch frame, decoded with the receivers' limits (256 KiB).
std::vector<std::string> idsIn(const std::vector<uint8_t>& frame) {
  std::vector<std::string> ids;
  auto batch = codec::decode<schema::CallEventBatch>(frame.data(), frame.size(), "CallEventBatch");
  EXPECT_TRUE(batch.ok()) << batch.error().describe();
  if (!batch.ok()) return ids;
  for (auto ev : batch.value()->root().getEvents()) ids.push_back(ev.getEventId().cStr());
  return ids;
}

std::vector<uint8_t> ack() { return codec::encodeEventAck("x"); }

CallIdentity longCall(int i) {
  return CallIdentity{std::to_string(i) + "@" + std::string(250, 'c'), "+15550100", "+15557770001",
                      schema::CallKind::VOICE};
}

// Issue 16 item 2: batches are split by size, so no receiver ever refuses one.
TEST(CallEventPublisherBounds, BatchesStayUnderTheFrameLimitAndKeepOrder) {
  testing::ManualClock clock;
  testing::FakeRequestLink presence;
  CallEventPublisher events("ingress-1", clock, {{&presence, false}});
  for (int i = 0; i < 3000; ++i) events.offered(longCall(i), "");  // ~1.3 MB of events
  events.flush();
  std::vector<std::string> all;
  size_t frames = 0;
  while (presence.sent().size() > frames) {
    for (size_t f = frames; f < presence.sent().size(); ++f) {
      EXPECT_LE(presence.sent()[f].payload.size(), 256u * 1024);
      for (auto& id : idsIn(presence.sent()[f].payload)) all.push_back(id);
    }
    size_t upto = presence.sent().size();
    for (; frames < upto; ++frames) presence.reply(presence.sent()[frames].id, ack());
    events.flush();
  }
  ASSERT_EQ(all.size(), 3000u);
  for (int i = 0; i < 3000; ++i) EXPECT_EQ(all[i], "ingress-1:" + std::to_string(i + 1));
  EXPECT_GT(frames, 4u);
  EXPECT_EQ(events.backlog(0), 0u);
}

// Issue 22: events wait for the tick's flush (event_flush_ms) unless flush_after_events pile up
// first; a burst never waits, and an ordinary load is not cut into small batches (each batch is
// a wakeup and a script call at every receiver, and presence folds a call's events only within
// one batch).
TEST(CallEventPublisherBounds, FlushesByItselfOnlyOnceFlushAfterEventsWait) {
  testing::ManualClock clock;
  testing::FakeRequestLink presence;
  EventBacklogLimits limits;
  limits.flush_after_events = 100;
  CallEventPublisher events("ingress-1", clock, {{&presence, false}}, limits);
  for (int i = 0; i < 99; ++i) events.offered(longCall(i), "");
  EXPECT_EQ(presence.sent().size(), 0u);  // 99 wait for the tick
  events.offered(longCall(99), "");
  ASSERT_EQ(presence.sent().size(), 1u);  // the 100th sends all of them at once
  EXPECT_EQ(idsIn(presence.sent()[0].payload).size(), 100u);
  events.offered(longCall(100), "");
  EXPECT_EQ(presence.sent().size(), 1u);                     // the count starts again
  EXPECT_EQ(EventBacklogLimits{}.flush_after_events, 512u);  // ingress.event_flush_events
}

// Issue 16 item 7: a receiver that is away is retried with a doubling pause, and what waits
// for it is bounded in events.
TEST(CallEventPublisherBounds, FailedBatchIsResentWithExponentialBackoff) {
  testing::ManualClock clock;
  testing::FakeRequestLink presence;
  EventBacklogLimits limits;
  limits.first_backoff_ms = 1000;
  limits.max_backoff_ms = 4000;
  CallEventPublisher events("ingress-1", clock, {{&presence, false}}, limits);
  events.offered(longCall(1), "");
  events.flush();
  ASSERT_EQ(presence.sent().size(), 1u);
  std::vector<int64_t> pauses;
  for (int failure = 0; failure < 4; ++failure) {
    presence.fail(presence.sent().back().id);
    size_t before = presence.sent().size();
    int64_t waited = 0;
    while (presence.sent().size() == before && waited < 10000) {
      clock.advance(100);
      waited += 100;
      events.flush();
    }
    pauses.push_back(waited);
  }
  EXPECT_EQ(pauses, (std::vector<int64_t>{1000, 2000, 4000, 4000}));
  EXPECT_EQ(idsIn(presence.sent().back().payload), (std::vector<std::string>{"ingress-1:1"}));
  presence.reply(presence.sent().back().id, ack());
  EXPECT_EQ(events.backlog(0), 0u);
  EXPECT_EQ(events.dropped(), 0u);
}

// Batches on the wire together fail together (the receiver went away): one pause, not one
// doubling per batch (8 failed batches would otherwise wait 2^8 s before anything is re-sent).
TEST(CallEventPublisherBounds, BatchesFailingTogetherPauseOnce) {
  testing::ManualClock clock;
  testing::FakeRequestLink presence;
  EventBacklogLimits limits;
  limits.max_batch_bytes = 4096;  // a few events per batch
  CallEventPublisher events("ingress-1", clock, {{&presence, false}}, limits);
  for (int i = 0; i < 120; ++i) events.offered(longCall(i), "");
  events.flush();
  ASSERT_EQ(presence.sent().size(), limits.max_batches_in_flight);
  for (const auto& sent : std::vector<testing::FakeRequestLink::Sent>(presence.sent()))
    presence.fail(sent.id);
  clock.advance(999);
  events.flush();
  EXPECT_EQ(presence.sent().size(), limits.max_batches_in_flight);
  clock.advance(1);
  events.flush();
  ASSERT_EQ(presence.sent().size(), 2 * limits.max_batches_in_flight);
  // Re-sent from the oldest event on.
  EXPECT_EQ(idsIn(presence.sent()[limits.max_batches_in_flight].payload).front(), "ingress-1:1");
}

TEST(CallEventPublisherBounds, BacklogIsBoundedInEvents) {
  testing::ManualClock clock;
  testing::FakeRequestLink presence;
  EventBacklogLimits limits;
  limits.max_events = 100;
  CallEventPublisher events("ingress-1", clock, {{&presence, false}}, limits);
  for (int i = 0; i < 150; ++i) events.offered(longCall(i), "");  // nothing acknowledged
  EXPECT_EQ(events.backlog(0), 100u);
  EXPECT_EQ(events.dropped(), 50u);
}

}  // namespace
}  // namespace callmesh::ingress
