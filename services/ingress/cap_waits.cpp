#include "services/ingress/cap_waits.h"

#include <functional>
#include <iterator>

namespace callmesh::ingress {

CapWaits::CapWaits(size_t max_waiting) : max_waiting_(max_waiting) {}

size_t CapWaits::releaseSlotOf(std::string_view number) {
  return std::hash<std::string_view>{}(number) % kReleaseSlots;
}

CapWaits::Verdict CapWaits::refused(const Refusal& r) {
  int64_t deadline = r.offered_ms + r.wait_ms;
  if (r.wait_ms <= 0 || r.now_ms >= deadline) return Verdict::Busy;
  // The limiter decided before that release reached it: ask again (the acquire carries it).
  if (last_release_[releaseSlotOf(r.number)] > r.releases_before) return Verdict::AskAgain;
  if (waiting_ >= max_waiting_) return Verdict::Busy;
  by_number_[std::string(r.number)].push_back({std::string(r.call_id), deadline});
  ++waiting_;
  return Verdict::Wait;
}

std::optional<std::string> CapWaits::released(const std::string& number) {
  last_release_[releaseSlotOf(number)] = ++releases_;
  return wakeNext(number);
}

std::optional<std::string> CapWaits::wakeNext(const std::string& number) {
  if (waiting_ == 0) return std::nullopt;
  auto it = by_number_.find(number);
  if (it == by_number_.end()) return std::nullopt;
  std::string call_id = std::move(it->second.front().call_id);
  it->second.pop_front();
  if (it->second.empty()) by_number_.erase(it);
  --waiting_;
  return call_id;
}

void CapWaits::expired(int64_t now_ms, std::vector<std::string>& out) {
  if (waiting_ == 0) return;
  for (auto it = by_number_.begin(); it != by_number_.end();) {
    auto& waiters = it->second;
    for (auto w = waiters.begin(); w != waiters.end();) {
      if (now_ms < w->deadline_ms) {
        ++w;
        continue;
      }
      out.push_back(std::move(w->call_id));
      w = waiters.erase(w);
      --waiting_;
    }
    it = waiters.empty() ? by_number_.erase(it) : std::next(it);
  }
}

}  // namespace callmesh::ingress
