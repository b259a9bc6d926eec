#include "services/ingress/connection_bounds.h"

#include <algorithm>
#include <map>
#include <unordered_set>

namespace callmesh::ingress {

namespace {

std::string keyOf(const std::string& ip, int port) { return ip + ":" + std::to_string(port); }

}  // namespace

void ConnectionBounds::delivered(const std::string& peer_ip, int peer_port, int64_t now_ms) {
  auto [it, fresh] = seen_.try_emplace(keyOf(peer_ip, peer_port));
  if (fresh) it->second.first_ms = now_ms;
  it->second.delivered = true;
}

std::vector<ConnectionBounds::Cut> ConnectionBounds::sweep(const std::vector<OpenConnection>& open,
                                                           int64_t now_ms) {
  struct Entry {
    const OpenConnection* conn;
    std::string key;
    Seen seen;
  };
  std::vector<Entry> live;
  live.reserve(open.size());
  std::unordered_map<std::string, Seen> kept;
  for (const auto& c : open) {
    std::string key = keyOf(c.peer_ip, c.peer_port);
    auto it = seen_.find(key);
    Seen s = it != seen_.end() ? it->second : Seen{now_ms, false};
    kept.emplace(key, s);
    live.push_back({&c, std::move(key), s});
  }
  seen_ = std::move(kept);  // forget connections that closed

  std::vector<Cut> cuts;
  std::unordered_set<int> cut_fds;
  auto cut = [&](const Entry& e, const char* reason) {
    if (!cut_fds.insert(e.conn->fd).second) return;
    cuts.push_back({e.conn->fd, e.key, reason});
    seen_.erase(e.key);
  };
  for (const auto& e : live) {
    if (!e.seen.delivered && now_ms - e.seen.first_ms >= settings_.first_message_timeout_ms)
      cut(e, "first_message_timeout");
  }
  // Keep-first order: delivered before silent, then older before newer.
  auto keepFirst = [](const Entry* a, const Entry* b) {
    if (a->seen.delivered != b->seen.delivered) return a->seen.delivered;
    if (a->seen.first_ms != b->seen.first_ms) return a->seen.first_ms < b->seen.first_ms;
    return a->conn->fd < b->conn->fd;
  };
  std::map<std::string, std::vector<const Entry*>> by_source;
  for (const auto& e : live) {
    if (!cut_fds.count(e.conn->fd)) by_source[e.conn->peer_ip].push_back(&e);
  }
  std::vector<const Entry*> remaining;
  for (auto& [ip, entries] : by_source) {
    std::sort(entries.begin(), entries.end(), keepFirst);
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i >= static_cast<size_t>(settings_.max_connections_per_source))
        cut(*entries[i], "per_source");
      else
        remaining.push_back(entries[i]);
    }
  }
  if (remaining.size() > static_cast<size_t>(settings_.max_connections)) {
    std::sort(remaining.begin(), remaining.end(), keepFirst);
    for (size_t i = static_cast<size_t>(settings_.max_connections); i < remaining.size(); ++i)
      cut(*remaining[i], "total");
  }
  return cuts;
}

}  // namespace callmesh::ingress
