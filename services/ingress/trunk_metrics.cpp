#include "services/ingress/trunk_metrics.h"

namespace callmesh::ingress {

TrunkMetrics::TrunkMetrics(IngressMetrics& m, const TrunkBook& book) {
  // The same words as the ingress-wide blocked_requests_total reasons.
  static const char* kBlocked[] = {"rate_limited", "banned", "new_call_rate", "new_call_banned"};
  for (const Trunk& t : book.trunks()) {
    PerTrunk p;
    p.new_calls = &m.trunk_new_calls_family.Add({{"trunk", t.name}});
    for (size_t i = 0; i < p.blocked.size(); ++i)
      p.blocked[i] = &m.trunk_blocked_family.Add({{"trunk", t.name}, {"reason", kBlocked[i]}});
    per_trunk_.push_back(p);
  }
}

}  // namespace callmesh::ingress
