#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "schemas/call.capnp.h"
#include "services/ingress/route_plan.h"

namespace callmesh::ingress {

// Router decisions the ingress gives again to later calls to the same dialled text, so a number
// whose routing depends on nothing but the number (no schedule, geo rule, queue, CRM or company
// rule) costs one router round trip per reuse period instead of one per call.
//
// A kept plan is given only while all of these hold:
//  - the router marked it reusable, and its period (`reusable_for_ms`) has not run out;
//  - the call has an empty path (a call that came back through us is loop-checked by the router);
//  - the router's latest RoutingNotice, heard within the last kNoticeFreshMs, announces the
//    config epoch the plan was made under. A reload announces a new epoch at once, so after a
//    reload no call gets an old plan once the notice is in; if notices stop (router gone, link
//    down), reuse stops within kNoticeFreshMs.
// Single-threaded (the ingress's SIP loop).
class RouteCache {
 public:
  static constexpr int64_t kNoticeFreshMs = 3000;  // the router announces every second

  explicit RouteCache(size_t max_entries = 10000) : max_entries_(max_entries) {}

  // A RoutingNotice arrived: a new epoch forgets every kept plan.
  void heard(uint64_t config_epoch, int64_t now_ms);
  // The plan kept for this dialled text of this kind, or null.
  std::shared_ptr<const RoutePlan> find(schema::CallKind kind, const std::string& dialed,
                                        int64_t now_ms) const;
  // Keeps `plan` if the router marked it reusable under the epoch last heard. When full, expired
  // plans are swept first; if none expired the plan is not kept (the call still has it).
  void offer(schema::CallKind kind, const std::string& dialed,
             const std::shared_ptr<const RoutePlan>& plan, int64_t now_ms);

  size_t size() const { return plans_.size(); }

 private:
  struct Kept {
    std::shared_ptr<const RoutePlan> plan;
    int64_t expires_at_ms;
  };
  static std::string key(schema::CallKind kind, const std::string& dialed);
  bool epochCurrent(uint64_t epoch, int64_t now_ms) const;

  size_t max_entries_;
  uint64_t heard_epoch_ = 0;  // 0 = nothing heard yet: nothing is reused
  int64_t heard_at_ms_ = 0;
  std::unordered_map<std::string, Kept> plans_;
};

}  // namespace callmesh::ingress
