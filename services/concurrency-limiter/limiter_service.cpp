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

Result<std::vector<uint8_t>> LimiterService::handle(const zmq::message_t& payload) {
  auto decoded =
      codec::decode<schema::LimiterRequest>(payload.data(), payload.size(), "LimiterRequest");
  if (!decoded.ok()) {
    metrics_.decode_errors.Increment();
    return decoded.error();
  }
  auto req = decoded.value()->root();
  capnp::MallocMessageBuilder mb;
  auto reply = mb.initRoot<schema::LimiterReply>();
  auto fail = [&](const Error& e, const char* op) {
    metrics_.redis_errors.Increment();
    redis_healthy_ = false;
    log_.error("limiter_redis_error", {{"op", op}, {"error", e.describe()}});
    reply.setFailed(e.describe());
  };

  switch (req.which()) {
    case schema::LimiterRequest::ACQUIRE: {
      std::string number = req.getAcquire().getNumber();
      std::string call_id = req.getAcquire().getCallId();
      if (number.empty() || call_id.empty()) {
        return invalidInput("acquire needs number and callId", "LimiterRequest.acquire");
      }
      auto release_first = slotsOf(req.getReleasesFirst(), "releasesFirst");
      if (!release_first.ok()) return release_first.error();
      (void)primaryMoved();
      if (holding()) {
        metrics_.failover_holds.Increment();
        reply.setFailed("refusing new calls for " +
                        std::to_string(hold_.remainingMs(clock_->steadyMs())) +
                        " ms more: recounting live calls after a Redis failover");
        break;
      }
      auto st = ledger_.acquire(number, call_id, release_first.value());
      if (!st.ok()) {
        fail(st.error(), "acquire");
        break;
      }
      // The client reached a new primary during this very acquire: the count it was judged by
      // may lack lost leases, so give the slot back and refuse like any call in the hold.
      if (primaryMoved() && holding()) {
        if (st->granted) (void)ledger_.release(number, call_id);
        metrics_.failover_holds.Increment();
        reply.setFailed("refusing new calls: the Redis primary changed; recounting live calls");
        break;
      }
      redis_healthy_ = true;
      metrics_.released.Increment(static_cast<double>(st->released));
      metrics_.release_noop.Increment(
          static_cast<double>(static_cast<int64_t>(release_first->size()) - st->released));
      auto g = reply.initAcquired();
      g.setGranted(st->granted);
      g.setInUse(static_cast<uint32_t>(st->in_use));
      g.setCap(static_cast<uint32_t>(st->cap));
      g.setLeaseMs(static_cast<uint32_t>(ledger_.leaseMs()));
      (st->granted ? metrics_.acquired(number) : metrics_.rejected(number)).Increment();
      metrics_.inUse(number).Set(static_cast<double>(st->in_use));
      if (!st->granted) {
        log_.info(
            "slot_rejected",
            {{"call_id", call_id}, {"number", number}, {"in_use", st->in_use}, {"cap", st->cap}});
      }
      break;
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
