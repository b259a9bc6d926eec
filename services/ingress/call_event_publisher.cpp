#include "services/ingress/call_event_publisher.h"

#include <algorithm>

#include <capnp/message.h>

#include "shared/codec/call_event_batch.h"
#include "shared/codec/capnp_codec.h"

namespace callmesh::ingress {

namespace {
void fillLeg(schema::Leg::Builder b, const LegInfo& leg) {
  b.setUri(leg.uri);
  b.setNumber(leg.number);
  b.setAgentId(leg.agent_id);
}
}  // namespace

CallEventPublisher::CallEventPublisher(std::string instance_id, const Clock& clock,
                                       const std::vector<EventSubscriber>& subscribers,
                                       EventBacklogLimits limits)
    : instance_id_(std::move(instance_id)), clock_(clock), limits_(limits) {
  subs_.reserve(subscribers.size());
  for (const auto& s : subscribers) subs_.push_back(Subscriber{s, {}, 0, 0, 0, 0});
}

template <typename Fill>
void CallEventPublisher::publish(const CallIdentity& call, bool is_end, Fill fill) {
  uint64_t seq = ++seq_;
  codec::FrameBuilder mb;
  auto ev = mb.initRoot<schema::CallEvent>();
  ev.setEventId(instance_id_ + ":" + std::to_string(seq));
  ev.setCallId(call.call_id);
  ev.setDialed(call.dialed);
  ev.setCaller(call.caller);
  ev.setAtMs(clock_.nowMs());
  ev.setKind(call.kind);
  fill(ev);
  Frame frame{seq, std::make_shared<const kj::Array<capnp::word>>(codec::encode(mb))};
  // One event bigger than a whole batch could never be sent: refused here, counted.
  if (frame.words->asBytes().size() > limits_.max_batch_bytes) {
    dropped_ += subs_.size();
    return;
  }
  for (auto& sub : subs_) {
    if (sub.link.ends_only && !is_end) continue;
    if (sub.queued.size() + sub.in_flight_events >= limits_.max_events) {
      ++dropped_;
      continue;
    }
    sub.queued.push_back(frame);
  }
  if (++collected_ >= limits_.flush_after_events) flush();
}

void CallEventPublisher::flush() {
  collected_ = 0;
  int64_t now = clock_.steadyMs();
  for (size_t i = 0; i < subs_.size(); ++i) {
    Subscriber& sub = subs_[i];
    if (now < sub.resume_at_ms) continue;
    while (!sub.queued.empty() && sub.in_flight_batches < limits_.max_batches_in_flight)
      sendBatch(i);
  }
}

// Sends the oldest queued events of subscriber `index` that fit max_batch_bytes as one batch.
void CallEventPublisher::sendBatch(size_t index) {
  Subscriber& sub = subs_[index];
  auto events = std::make_shared<std::vector<Frame>>();
  std::vector<kj::ArrayPtr<const capnp::word>> views;
  size_t bytes = 0;
  while (!sub.queued.empty()) {
    size_t next = sub.queued.front().words->asBytes().size();
    if (!events->empty() && bytes + next > limits_.max_batch_bytes) break;
    bytes += next;
    events->push_back(std::move(sub.queued.front()));
    views.push_back(events->back().words->asPtr());
    sub.queued.pop_front();
  }
  sub.in_flight_events += events->size();
  ++sub.in_flight_batches;
  sub.link.client->requestWithId(
      ++batch_seq_, codec::encodeCallEventBatch(views),
      [this, index, events](Result<zmq::message_t> r) {
        Subscriber& s = subs_[index];
        s.in_flight_events -= events->size();
        --s.in_flight_batches;
        if (r.ok()) {
          s.backoff_ms = 0;
          return;
        }
        // Not acknowledged: back into the queue in sequence order (ahead of everything newer,
        // behind an older batch that failed first), and a pause that doubles.
        auto at = std::upper_bound(s.queued.begin(), s.queued.end(), events->front().seq,
                                   [](uint64_t seq, const Frame& f) { return seq < f.seq; });
        s.queued.insert(at, events->begin(), events->end());
        // Batches that were on the wire together fail together: one pause for all of them, so
        // the pause doubles per failed round, not per batch.
        int64_t now = clock_.steadyMs();
        if (now < s.resume_at_ms) return;
        s.backoff_ms = s.backoff_ms == 0 ? limits_.first_backoff_ms
                                         : std::min(limits_.max_backoff_ms, s.backoff_ms * 2);
        s.resume_at_ms = now + s.backoff_ms;
      });
}

size_t CallEventPublisher::unsent() const {
  size_t most = 0;
  for (const auto& sub : subs_) most = std::max(most, sub.queued.size());
  return most;
}

void CallEventPublisher::offered(const CallIdentity& call, const std::string& rule) {
  publish(call, false, [&](schema::CallEvent::Builder ev) {
    ev.setOffered();
    ev.setRule(rule);
  });
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
  // Every end reaches the notification service: it writes the call detail record (issue 20).
  publish(call, true, [&](schema::CallEvent::Builder ev) {
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
    auto leg_ends = e.initLegEnds(static_cast<unsigned>(end.leg_ends.size()));
    for (size_t i = 0; i < end.leg_ends.size(); ++i) {
      leg_ends[static_cast<unsigned>(i)].setStatus(static_cast<uint16_t>(end.leg_ends[i].status));
      leg_ends[static_cast<unsigned>(i)].setRinging(end.leg_ends[i].ringing);
    }
    auto trace = e.initTrace(static_cast<unsigned>(end.trace.size()));
    for (size_t i = 0; i < end.trace.size(); ++i) trace.set(static_cast<unsigned>(i), end.trace[i]);
    e.setSourceTag(end.source_tag);
    e.setCallerZip(end.caller_zip);
    e.setRecordingId(end.recording_id);
    auto files = e.initRecordings(static_cast<unsigned>(end.recordings.size()));
    for (unsigned i = 0; i < end.recordings.size(); ++i) files.set(i, end.recordings[i]);
    e.setRecordingSegments(static_cast<uint16_t>(end.recording_segments));
    e.setProject(end.project);
    e.setOutboundCallee(end.outbound_callee);
  });
}

}  // namespace callmesh::ingress
