#pragma once

#include <array>
#include <vector>

#include "services/ingress/ingress_metrics.h"
#include "services/ingress/trunk_book.h"

namespace callmesh::ingress {

// The metrics of every configured inbound trunk (trunk_book.h), created at startup so they exist
// (at 0) before any traffic and no label ever comes from a message: the label is the trunk's
// name from cluster.yaml (at most kMaxTrunks). The ingress-wide blocked_requests_total says what
// was refused; these say which carrier it was, which an operator needs to call the right one.
class TrunkMetrics {
 public:
  // Refusals of a trunk's requests, by reason: the SourceGuard verdicts a trunk can get.
  enum class Blocked { RateLimited = 0, Banned = 1, NewCallRate = 2, NewCallBanned = 3 };

  TrunkMetrics(IngressMetrics& metrics, const TrunkBook& book);

  // A new call from `trunk` admitted past its new-call bucket.
  void newCall(const Trunk& trunk) { per_trunk_.at(trunk.index).new_calls->Increment(); }
  void blocked(const Trunk& trunk, Blocked reason) {
    per_trunk_.at(trunk.index).blocked[static_cast<size_t>(reason)]->Increment();
  }

 private:
  struct PerTrunk {
    prometheus::Counter* new_calls = nullptr;
    std::array<prometheus::Counter*, 4> blocked{};
  };
  std::vector<PerTrunk> per_trunk_;
};

}  // namespace callmesh::ingress
