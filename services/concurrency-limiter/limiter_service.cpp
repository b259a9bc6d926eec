#include "services/concurrency-limiter/limiter_service.h"

#include <capnp/message.h>

#include "schemas/limiter.capnp.h"
#include "shared/codec/capnp_codec.h"

namespace callmesh::concurrency_limiter {

namespace {

// The slots of a request's list (`releasesFirst`, `releaseBatch`), each with its number and
// Call-ID, or an error naming the list.
Result<std::vector<SlotRef>> slotsOf(capnp::List<schema::Slot>::Reader list, const char* field) {
  std::vector<SlotRef> slots;
  slots.reserve(list.size());
  for (auto s : list) {
    if (s.getNumber().size() == 0 || s.getCallId().size() == 0) {
      return invalidInput(std::string("every slot in ") + field + " needs number and callId",
                          std::string("LimiterRequest.") + field);
    }
    slots.push_back(SlotRef{s.getNumber(), s.getCallId()});
  }
  return slots;
}

}  // namespace

bool LimiterService::primaryMoved() {
  if (!failover_redis_ || !clock_) return false;
  if (!hold_.observe(failover_redis_->primaryEpoch(), clock_->steadyMs())) return false;
  metrics_.failovers.Increment();
  log_.warn("redis_primary_changed",
            {{"hold_ms", hold_.holdMs()}, {"epoch", failover_redis_->primaryEpoch()}});
  return true;
}

Result<AcquireAsk> LimiterService::acquireAsk(schema::LimiterRequest::Reader req) {
  AcquireAsk ask{req.getAcquire().getNumber(), req.getAcquire().getCallId(), {}};
  if (ask.number.empty() || ask.call_id.empty()) {
    return invalidInput("acquire needs number and callId", "LimiterRequest.acquire");
  }
  auto release_first = slotsOf(req.getReleasesFirst(), "releasesFirst");
  if (!release_first.ok()) return release_first.error();
  ask.release_first = std::move(release_first.value());
  return ask;
}

std::vector<uint8_t> LimiterService::failedReply(const std::string& why) {
  codec::FrameBuilder mb;
  mb.initRoot<schema::LimiterReply>().setFailed(why);
  return codec::encodeToBytes(mb);
}

std::vector<uint8_t> LimiterService::redisFailed(const Error& e, const char* op) {
  metrics_.redis_errors.Increment();
  redis_healthy_ = false;
  log_.error("limiter_redis_error", {{"op", op}, {"error", e.describe()}});
  return failedReply(e.describe());
}

std::vector<uint8_t> LimiterService::grantReply(const AcquireAsk& ask, const SlotState& st) {
  redis_healthy_ = true;
  metrics_.released.Increment(static_cast<double>(st.released));
  metrics_.release_noop.Increment(
      static_cast<double>(static_cast<int64_t>(ask.release_first.size()) - st.released));
  codec::FrameBuilder mb;
  auto g = mb.initRoot<schema::LimiterReply>().initAcquired();
  g.setGranted(st.granted);
  g.setInUse(static_cast<uint32_t>(st.in_use));
  g.setCap(static_cast<uint32_t>(st.cap));
  g.setLeaseMs(static_cast<uint32_t>(ledger_.leaseMs()));
  (st.granted ? metrics_.acquired(ask.number) : metrics_.rejected(ask.number)).Increment();
  metrics_.inUse(ask.number).Set(static_cast<double>(st.in_use));
  if (!st.granted) {
    log_.info(
        "slot_rejected",
        {{"call_id", ask.call_id}, {"number", ask.number}, {"in_use", st.in_use}, {"cap", st.cap}});
  }
  return codec::encodeToBytes(mb);
}

std::vector<std::vector<uint8_t>> LimiterService::decideAcquires(
    const std::vector<AcquireAsk>& asks) {
  std::vector<std::vector<uint8_t>> replies;
  replies.reserve(asks.size());
  (void)primaryMoved();
  if (holding()) {
    for (size_t i = 0; i < asks.size(); ++i) {
      metrics_.failover_holds.Increment();
      replies.push_back(failedReply("refusing new calls for " +
                                    std::to_string(hold_.remainingMs(clock_->steadyMs())) +
                                    " ms more: recounting live calls after a Redis failover"));
    }
    return replies;
  }
  // One acquire alone takes the plain path; several share one round trip.
  Result<std::vector<Result<SlotState>>> decided =
      asks.size() == 1
          ? Result<std::vector<Result<SlotState>>>(std::vector<Result<SlotState>>{
                ledger_.acquire(asks[0].number, asks[0].call_id, asks[0].release_first)})
          : ledger_.acquireMany(asks);
  if (!decided.ok()) {
    for (size_t i = 0; i < asks.size(); ++i)
      replies.push_back(redisFailed(decided.error(), "acquire"));
    return replies;
  }
  // The client reached a new primary during these very acquires: the count they were judged by
  // may lack lost leases, so give the slots back and refuse like any call in the hold.
  bool moved = primaryMoved() && holding();
  for (size_t i = 0; i < asks.size(); ++i) {
    const auto& st = (*decided)[i];
    if (!st.ok()) {
      replies.push_back(redisFailed(st.error(), "acquire"));
    } else if (moved) {
      if (st->granted) (void)ledger_.release(asks[i].number, asks[i].call_id);
      metrics_.failover_holds.Increment();
      replies.push_back(
          failedReply("refusing new calls: the Redis primary changed; recounting live calls"));
    } else {
      replies.push_back(grantReply(asks[i], st.value()));
    }
  }
  return replies;
}

std::vector<Result<std::vector<uint8_t>>> LimiterService::handleBatch(
    const std::vector<const zmq::message_t*>& payloads) {
  std::vector<Result<std::vector<uint8_t>>> out;
  out.reserve(payloads.size());
  std::vector<AcquireAsk> run;  // consecutive acquires not decided yet
  auto decideRun = [&] {
    for (auto& reply : decideAcquires(run)) out.emplace_back(std::move(reply));
    run.clear();
  };
  for (const auto* payload : payloads) {
    auto decoded =
        codec::decode<schema::LimiterRequest>(payload->data(), payload->size(), "LimiterRequest");
    if (decoded.ok() && decoded.value()->root().isAcquire()) {
      auto ask = acquireAsk(decoded.value()->root());
      if (ask.ok()) {
        run.push_back(std::move(ask.value()));
        continue;
      }
    }
    // Anything else is served on its own, after the acquires that came before it.
    if (!run.empty()) decideRun();
    out.push_back(handle(*payload));
  }
  if (!run.empty()) decideRun();
  return out;
}

Result<std::vector<uint8_t>> LimiterService::handle(const zmq::message_t& payload) {
  auto decoded =
      codec::decode<schema::LimiterRequest>(payload.data(), payload.size(), "LimiterRequest");
  if (!decoded.ok()) {
    metrics_.decode_errors.Increment();
    return decoded.error();
  }
  auto req = decoded.value()->root();
  codec::FrameBuilder mb;
  auto reply = mb.initRoot<schema::LimiterReply>();
  auto fail = [&](const Error& e, const char* op) {
    metrics_.redis_errors.Increment();
    redis_healthy_ = false;
    log_.error("limiter_redis_error", {{"op", op}, {"error", e.describe()}});
    reply.setFailed(e.describe());
  };

  switch (req.which()) {
    case schema::LimiterRequest::ACQUIRE: {
      auto ask = acquireAsk(req);
      if (!ask.ok()) return ask.error();
      return decideAcquires({std::move(ask.value())}).front();
    }
    case schema::LimiterRequest::RENEW: {
      std::vector<SlotRef> slots;
      for (auto s : req.getRenew()) slots.push_back(SlotRef{s.getNumber(), s.getCallId()});
      (void)primaryMoved();
      int64_t readopted = 0;
      auto kept = ledger_.renew(slots, holding(), &readopted);
      // Reached a new primary during this renewal: renew again, adding back what was lost.
      if (kept.ok() && primaryMoved() && holding()) kept = ledger_.renew(slots, true, &readopted);
      if (!kept.ok()) {
        fail(kept.error(), "renew");
        break;
      }
      metrics_.readopted.Increment(static_cast<double>(readopted));
      redis_healthy_ = true;
      metrics_.renewed.Increment(static_cast<double>(kept.value()));
      metrics_.lease_lost.Increment(
          static_cast<double>(static_cast<int64_t>(slots.size()) - kept.value()));
      reply.setRenewed(static_cast<uint32_t>(kept.value()));
      break;
    }
    case schema::LimiterRequest::RELEASE: {
      std::string number = req.getRelease().getNumber();
      std::string call_id = req.getRelease().getCallId();
      auto freed = ledger_.release(number, call_id);
      if (!freed.ok()) {
        fail(freed.error(), "release");
        break;
      }
      redis_healthy_ = true;
      (freed.value() ? metrics_.released : metrics_.release_noop).Increment();
      reply.setReleased(freed.value());
      break;
    }
    case schema::LimiterRequest::RELEASE_BATCH: {
      auto slots = slotsOf(req.getReleaseBatch(), "releaseBatch");
      if (!slots.ok()) return slots.error();
      auto freed = ledger_.release(slots.value());
      if (!freed.ok()) {
        fail(freed.error(), "release");
        break;
      }
      redis_healthy_ = true;
      metrics_.released.Increment(static_cast<double>(freed.value()));
      metrics_.release_noop.Increment(
          static_cast<double>(static_cast<int64_t>(slots->size()) - freed.value()));
      reply.setReleasedBatch(static_cast<uint32_t>(freed.value()));
      break;
    }
    case schema::LimiterRequest::USAGE: {
      std::string number = req.getUsage();
      auto st = ledger_.usage(number);
      if (!st.ok()) {
        fail(st.error(), "usage");
        break;
      }
      redis_healthy_ = true;
      auto u = reply.initUsage();
      u.setInUse(static_cast<uint32_t>(st->in_use));
      u.setCap(static_cast<uint32_t>(st->cap));
      u.setLeaseMs(static_cast<uint32_t>(ledger_.leaseMs()));
      metrics_.inUse(number).Set(static_cast<double>(st->in_use));
      break;
    }
    default:
      return invalidInput("unknown request kind", "LimiterRequest");
  }
  return codec::encodeToBytes(mb);
}

}  // namespace callmesh::concurrency_limiter
