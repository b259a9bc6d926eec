#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/ingress/ingress_metrics.h"
#include "shared/base/clock.h"
#include "shared/log/logger.h"
#include "shared/transport/request_link.h"

namespace callmesh::ingress {

// Slots of ended calls on their way back to the concurrency-limiter, and the lease renewals of
// the calls that hold one. A release goes with the next acquire (the count the next caller meets
// holds no call that has ended), or at the latest in the tick's one releaseBatch: a slot freed up
// to one tick (10 ms) late costs nothing a caller can notice, and one request per tick instead of
// one per call saves a ZeroMQ and a Redis round trip per call. Releases the limiter could not
// confirm (it answers `failed` while Redis is down) are tried again every 500 ms until their
// lease would have expired anyway.
//
// Every frame it sends fits the limiter's 256 KiB frame limit by construction (issue 16): an
// acquire's carried releases, a releaseBatch and a renew each carry at most slotsPerFrame()
// slots, more go in further frames. At 10,000 live calls one renew frame held ~620 KB and was
// refused, and the leases lapsed.
class SlotReleases {
 public:
  struct Pending {
    std::string number;
    std::string call_id;
    int64_t give_up_at_ms;  // the lease has expired by then: nothing left to free
    int64_t queued_at_ms = 0;
  };
  // Shared with the acquire's reply handler, which must hand it back if the acquire failed.
  using Batch = std::shared_ptr<std::vector<Pending>>;

  // Acquires and releases share `limiter`: ZeroMQ keeps order on one connection, so a release is
  // never overtaken by a later acquire, nor by a queued copy of its own retried acquire.
  // Renewals go on `background` (more attempts, nothing waits for them).
  SlotReleases(transport::RequestLink& limiter, transport::RequestLink& background,
               int64_t lease_ms, IngressMetrics& metrics, Logger& log, const Clock& clock,
               size_t slots_per_frame = slotsPerFrame(256))
      : limiter_(limiter),
        background_(background),
        lease_ms_(lease_ms),
        slots_per_frame_(slots_per_frame),
        metrics_(metrics),
        log_(log),
        clock_(clock) {}

  // Slots one limiter frame may carry when Call-IDs are at most `max_call_id_bytes` (the edge
  // bound, ingress.max_call_id_bytes) and slot numbers at most 16 bytes (E.164: '+' and 15 digits,
  // or phone::kNotANumber; phone::slotNumberOf). In Cap'n Proto each slot is a list element of two
  // pointers (16 bytes), two NUL-terminated texts padded to 8 bytes (24 + pad8(max_call_id + 1)),
  // and up to 16 bytes of far-pointer landing pad per text where the builder spilled into a new
  // segment. The frame budget is 192 KiB of the limiter's 256 KiB (codec::DecodeLimits), leaving
  // 64 KiB for the envelope, the acquire's own fields and the segment table. With 256-byte
  // Call-IDs: 585 slots per frame (measured: 187,200 bytes; slot_releases_test.cpp).
  static constexpr size_t kFrameBudgetBytes = 192 * 1024;
  static constexpr size_t slotsPerFrame(size_t max_call_id_bytes) {
    return kFrameBudgetBytes / (16 + 32 + 24 + (max_call_id_bytes + 1 + 7) / 8 * 8);
  }

  // Queues the slot to go back with the next acquire, or this tick's releaseBatch.
  void queue(const std::string& number, const std::string& call_id);
  // What the next acquire carries (null when nothing waits): at most slotsPerFrame, oldest first.
  Batch takePending();
  // The limiter did not confirm these (no answer, Redis down): tried again every 500 ms.
  void notConfirmed(const Batch& batch, const std::string& error);
  // Sends what no acquire carried as releaseBatches of at most slotsPerFrame: everything (at
  // once near the cap, and at shutdown), or, from the tick, only once the oldest release has
  // waited kCarryWaitMs. Under load the next acquire carries a release within milliseconds; the
  // tick sending whatever was pending sent a releaseBatch in about two ticks of five at 500
  // calls/s, each a limiter and a Redis round trip of its own. A slot freed up to 20 ms late
  // matters only at the cap, and near the cap the release goes at once.
  void flush() { flushOlderThan(0); }
  void flushOlderThan(int64_t wait_ms);
  static constexpr int64_t kCarryWaitMs = 20;
  // Renews the leases of these (number, call-id) slots, slotsPerFrame per request.
  void renew(const std::vector<std::pair<std::string_view, std::string_view>>& held);

  size_t waiting() const { return pending_.size() + retry_.size(); }

 private:
  void sendReleaseBatch(const Batch& batch);
  void renewFrame(const std::pair<std::string_view, std::string_view>* held, size_t count);

  transport::RequestLink& limiter_;
  transport::RequestLink& background_;
  int64_t lease_ms_;
  size_t slots_per_frame_;
  IngressMetrics& metrics_;
  Logger& log_;
  const Clock& clock_;
  std::vector<Pending> pending_;  // with the next acquire or tick's releaseBatch
  std::vector<Pending> retry_;    // the limiter could not free them (Redis down)
  int64_t next_retry_ms_ = 0;
};

}  // namespace callmesh::ingress
