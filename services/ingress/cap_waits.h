#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace callmesh::ingress {

// New calls that met their number's cap, waiting a short while for a slot one of this ingress's
// own calls frees (seed 004_ee4e98a6a7f6781b.txt: at most 50 calls up at once; a call over that
// is turned away, never let through).
//
// Why wait at all: the count a new call meets includes calls that have ended but whose release
// is still on its way (carried by the next acquire, or a tick later). Under steady load that is a
// few slots. After the host stalls (a paravirtualised guest loses both vCPUs for 30-60 ms now and
// then), the caller's side sends every INVITE of the stall at once while the BYEs of the calls
// that ended meanwhile arrive just behind them: the acquires meet a count inflated by calls that
// are over, and a cap-edge number turned 2-32 callers away in 1-3 ms that way (docs/bench/
// kamailio.md). Waiting up to ingress.cap_wait_ms for one of those releases admits them; a number
// really full keeps every slot, and its callers still hear busy, that much later.
//
// Pure: no clock, no sockets. CallControl tells it of refusals and of its own releases, and asks
// it which waiting call a release wakes and which waits are over.
class CapWaits {
 public:
  // `max_waiting` bounds the calls waiting on this ingress together (beyond it: busy at once).
  explicit CapWaits(size_t max_waiting = kMaxWaiting);

  static constexpr size_t kMaxWaiting = 1024;

  enum class Verdict {
    Busy,      // turn the caller away now (no wait configured, wait over, or too many waiting)
    AskAgain,  // a slot of this number was freed here after the refused acquire went out
    Wait,      // parked: a release of the number wakes it, or it is turned away at its deadline
  };

  // The limiter refused a call a slot of its number.
  struct Refusal {
    std::string_view call_id;
    std::string_view number;
    int64_t offered_ms = 0;        // the INVITE came: the wait counts from here
    uint64_t releases_before = 0;  // releaseCount() when the refused acquire went out
    int64_t now_ms = 0;
    int64_t wait_ms = 0;  // ingress.cap_wait_ms; 0: busy at once
  };
  Verdict refused(const Refusal& refusal);

  // This ingress queued the release of a slot of `number`. Returns the call it wakes (the one
  // waiting longest for the number), or nothing. The caller asks again for the woken call if it
  // is still up; when it is not, it calls wakeNext for the same slot.
  std::optional<std::string> released(const std::string& number);
  std::optional<std::string> wakeNext(const std::string& number);

  // Appends the calls whose wait is over at `now_ms` (they are forgotten) to `out`.
  void expired(int64_t now_ms, std::vector<std::string>& out);

  // Releases this ingress has queued so far: an acquire notes it when it goes out.
  uint64_t releaseCount() const { return releases_; }

  // Calls waiting now, on every number.
  size_t waiting() const { return waiting_; }

 private:
  struct Waiter {
    std::string call_id;
    int64_t deadline_ms;
  };
  // The count of the last release of a number here, by a hash of the number: a collision only
  // makes a refused call ask once more than needed. Counts, not times: an acquire that carried
  // the release went out in the same millisecond and must not ask again for it.
  static constexpr size_t kReleaseSlots = 512;
  static size_t releaseSlotOf(std::string_view number);

  size_t max_waiting_;
  size_t waiting_ = 0;
  std::unordered_map<std::string, std::deque<Waiter>> by_number_;  // FIFO per number
  uint64_t releases_ = 0;
  std::array<uint64_t, kReleaseSlots> last_release_{};
};

}  // namespace callmesh::ingress
