#include "services/agent-presence/presence_fold.h"

#include <string_view>
#include <unordered_map>

namespace callmesh::agent_presence {

namespace {

using Kind = LineEvent::Kind;

// True when `indices` (one call's events, in order) are offered, [answered on a plain phone],
// [ended], at least two of them.
bool foldable(const std::vector<LineEvent>& events, const std::vector<size_t>& indices) {
  if (indices.size() < 2 || indices.size() > 3) return false;
  if (events[indices[0]].kind != Kind::Offered) return false;
  size_t next = 1;
  if (next < indices.size() && events[indices[next]].kind == Kind::Answered) {
    if (!events[indices[next]].agent_id.empty()) return false;
    ++next;
  }
  if (next < indices.size() && events[indices[next]].kind == Kind::Ended) ++next;
  return next == indices.size();
}

}  // namespace

std::vector<ScriptEvent> planScriptEvents(const std::vector<LineEvent>& events,
                                          const std::vector<size_t>& needed) {
  std::unordered_map<std::string_view, std::vector<size_t>> by_call;
  by_call.reserve(needed.size());
  for (size_t i : needed) by_call[events[i].call_id].push_back(i);
  std::vector<ScriptEvent> out;
  out.reserve(needed.size());
  for (size_t i : needed) {
    const auto& mine = by_call[events[i].call_id];
    if (!foldable(events, mine)) {
      out.push_back(ScriptEvent{{i}, false});
    } else if (i == mine.back()) {
      out.push_back(ScriptEvent{mine, true});
    }
  }
  return out;
}

}  // namespace callmesh::agent_presence
