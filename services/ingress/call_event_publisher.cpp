#include "services/ingress/call_event_publisher.h"

#include <capnp/message.h>

#include "shared/codec/call_event_batch.h"
#include "shared/codec/capnp_codec.h"
#include "shared/codec/follow_up_scope.h"

namespace callmesh::ingress {

namespace {
void fillLeg(schema::Leg::Builder b, const LegInfo& leg) {
  b.setUri(leg.uri);
  b.setNumber(leg.number);
  b.setAgentId(leg.agent_id);
}
}  // namespace

template <typename Fill>
void CallEventPublisher::publish(const CallIdentity& call, bool follow_up, Fill fill) {
  uint64_t seq = ++seq_;
  capnp::MallocMessageBuilder mb;
  auto ev = mb.initRoot<schema::CallEvent>();
  ev.setEventId(instance_id_ + ":" + std::to_string(seq));
  ev.setCallId(call.call_id);
  ev.setDialed(call.dialed);
  ev.setCaller(call.caller);
  ev.setAtMs(clock_.nowMs());
  ev.setKind(call.kind);
  fill(ev);
  waiting_.push_back(Waiting{codec::encode(mb), follow_up});
  if (waiting_.size() >= 64) flush();
}

void CallEventPublisher::flush() {
  if (waiting_.empty()) return;
  std::vector<kj::ArrayPtr<const capnp::word>> all;
  std::vector<kj::ArrayPtr<const capnp::word>> follow_ups;
  all.reserve(waiting_.size());
  for (const auto& w : waiting_) {
    all.push_back(w.frame.asPtr());
    if (w.follow_up) follow_ups.push_back(w.frame.asPtr());
  }
  std::vector<uint8_t> all_batch = codec::encodeCallEventBatch(all);
  std::vector<uint8_t> follow_ups_batch;
  if (!follow_ups.empty()) follow_ups_batch = codec::encodeCallEventBatch(follow_ups);
  waiting_.clear();
  uint64_t id = ++batch_seq_;
  for (const auto& sub : subscribers_) {
    const auto& events = sub.follow_ups_only ? follow_ups : all;
    if (events.empty()) continue;
    size_t count = events.size();
    sub.client->requestWithId(id, sub.follow_ups_only ? follow_ups_batch : all_batch,
                              [this, count](Result<zmq::message_t> r) {
                                if (!r.ok()) dropped_ += count;
                              });
  }
}

void CallEventPublisher::offered(const CallIdentity& call) {
  publish(call, false, [](schema::CallEvent::Builder ev) { ev.setOffered(); });
}

void CallEventPublisher::legRinging(const CallIdentity& call, const LegInfo& leg) {
  publish(call, false, [&](schema::CallEvent::Builder ev) { fillLeg(ev.initLegRinging(), leg); });
}

void CallEventPublisher::answered(const CallIdentity& call, const LegInfo& leg) {
  publish(call, false, [&](schema::CallEvent::Builder ev) { fillLeg(ev.initAnswered(), leg); });
}

void CallEventPublisher::legFailed(const CallIdentity& call, const LegInfo& leg, int status,
                                   const std::string& reason) {
  publish(call, false, [&](schema::CallEvent::Builder ev) {
    auto f = ev.initLegFailed();
    fillLeg(f.initLeg(), leg);
    f.setStatus(static_cast<uint16_t>(status));
    f.setReason(reason);
  });
}

void CallEventPublisher::ended(const CallIdentity& call, const CallEndInfo& end) {
  bool follow_up =
      codec::endMayNeedFollowUp(end.answered, end.answered_by.agent_id, end.reason, end.rule);
  publish(call, follow_up, [&](schema::CallEvent::Builder ev) {
    auto e = ev.initEnded();
    e.setAnswered(end.answered);
    if (end.answered) fillLeg(e.initAnsweredBy(), end.answered_by);
    e.setReason(end.reason);
    e.setStatus(static_cast<uint16_t>(end.status));
    e.setDurationMs(end.duration_ms);
    e.setTalkMs(end.talk_ms);
    auto legs = e.initRungLegs(static_cast<unsigned>(end.rung_legs.size()));
    for (size_t i = 0; i < end.rung_legs.size(); ++i)
      fillLeg(legs[static_cast<unsigned>(i)], end.rung_legs[i]);
    e.setNumber(end.number);
    e.setRule(end.rule);
  });
}

}  // namespace callmesh::ingress
