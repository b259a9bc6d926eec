#include "services/ingress/heap_mode.h"

#include <algorithm>

namespace callmesh::ingress {

std::optional<HeapGrowthWatch::Mode> HeapGrowthWatch::sample(int64_t now_ms,
                                                             uint64_t active_bytes) {
  // A reading from before the previous one (a clock step) starts the window again.
  if (!window_.empty() && now_ms < window_.back().first) window_.clear();
  while (!window_.empty() && now_ms - window_.front().first > limits_.window_ms) {
    window_.pop_front();
  }
  // Readings come once a second; a caller reading faster must not grow the window unbounded.
  constexpr size_t kMaxReadings = 1024;
  if (window_.size() >= kMaxReadings) window_.pop_front();
  window_.emplace_back(now_ms, active_bytes);
  if (!last_growth_ms_) last_growth_ms_ = now_ms;

  uint64_t low = std::min_element(window_.begin(), window_.end(), [](const auto& a, const auto& b) {
                   return a.second < b.second;
                 })->second;
  if (active_bytes - low >= limits_.growth_bytes) {
    last_growth_ms_ = now_ms;
    if (mode_ == Mode::Steady) {
      mode_ = Mode::Growing;
      return mode_;
    }
    return std::nullopt;
  }
  if (mode_ == Mode::Growing && now_ms - *last_growth_ms_ >= limits_.steady_after_ms &&
      active_bytes >= limits_.steady_floor_bytes) {
    mode_ = Mode::Steady;
    return mode_;
  }
  return std::nullopt;
}

}  // namespace callmesh::ingress
