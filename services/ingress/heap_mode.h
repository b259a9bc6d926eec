#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

namespace callmesh::ingress {

// Whether the ingress's heap is growing or holding steady, from one reading a second of the pages
// it uses (jemalloc's stats.active). Pure: the caller brings the clock and applies the mode.
//
// The two modes want opposite things from the kernel and the allocator
// (docs/bench/memory.md, "Huge pages while the heap grows, pages back once it holds"):
// - Growing (a fresh ingress under load, or load past its busiest 32 s so far): fault the heap in
//   2 MB huge pages, one trap per 2 MB instead of 512, and keep every freed page for the next
//   spell (sofia-sip frees a call's messages 32 s after it ends);
// - Steady: no new huge pages, and free pages go back to the kernel after a decay. With huge pages
//   left on, khugepaged fills a 2 MB range back in around the one page still used in it, and the
//   allocator's free pages that it never reuses stay resident: RSS creeps by ~1.3 MB a minute at
//   1,000 calls/s.
class HeapGrowthWatch {
 public:
  enum class Mode { Growing, Steady };
  struct Limits {
    // Growing: `active` rose this much above its lowest reading within `window_ms`.
    uint64_t growth_bytes = 16ull << 20;
    int64_t window_ms = 10'000;
    // Steady: no growth for this long, with at least `steady_floor_bytes` in use. Below it there
    // is little to give back, and a fresh ingress waiting for its first calls (a pod scaled out)
    // keeps huge pages for the growth they bring.
    int64_t steady_after_ms = 30'000;
    uint64_t steady_floor_bytes = 64ull << 20;
  };

  explicit HeapGrowthWatch(Limits limits) : limits_(limits) {}

  // One reading; returns the mode to switch to when it changes. The first reading starts in
  // Growing (the allocator's settings at start).
  std::optional<Mode> sample(int64_t now_ms, uint64_t active_bytes);
  Mode mode() const { return mode_; }

 private:
  Limits limits_;
  // (time, active) within the window, oldest first; bounded by one reading a second.
  std::deque<std::pair<int64_t, uint64_t>> window_;
  Mode mode_ = Mode::Growing;
  std::optional<int64_t> last_growth_ms_;
};

}  // namespace callmesh::ingress
