#include "shared/redis/cluster_client.h"

#include <algorithm>
#include <chrono>

#include <hiredis/hiredis.h>

#include "shared/redis/hiredis_io.h"

namespace callmesh::redis {

namespace {

bool verbIs(const std::vector<std::string>& argv, const char* verb) {
  if (argv.empty() || argv[0].size() != std::char_traits<char>::length(verb)) return false;
  for (size_t i = 0; i < argv[0].size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(argv[0][i])) != verb[i]) return false;
  }
  return true;
}

// Error replies after which this node's connection and the slot map are not to be trusted: the
// node was demoted (READONLY), is loading, or the cluster lost a slot's master (CLUSTERDOWN).
bool demandsRemap(const RedisReply& r) {
  return demandsReconnect(r) ||
         (r.type == RedisReply::Type::Error && r.text.rfind("CLUSTERDOWN", 0) == 0);
}

std::string firstKey(const std::vector<std::string>& argv) {
  auto keys = commandKeys(argv);
  return keys.empty() ? std::string() : std::string(keys.front());
}

}  // namespace

struct ClusterClient::Unit {
  std::vector<size_t> commands;  // indices into the pipeline: a keyed one, then keyless ones
  int slot = -1;
  RedisAddress target;
  bool asking = false;
  int redirects = 0;
};

ClusterClient::ClusterClient(RedisEndpoint endpoint)
    : endpoint_(std::move(endpoint)),
      jitter_(std::random_device{}()),
      backoff_(endpoint_.reconnect_min_ms, endpoint_.reconnect_max_ms,
               [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(jitter_); }) {}

ClusterClient::~ClusterClient() {
  for (auto& [addr, c] : conns_) redisFree(c);
}

void ClusterClient::drop(const RedisAddress& at) {
  auto it = conns_.find(at.text());
  if (it == conns_.end()) return;
  redisFree(it->second);
  conns_.erase(it);
}

Error ClusterClient::nodeError(const RedisAddress& at, const std::string& what,
                               const std::string& key) {
  return Error{ErrorKind::Disconnected, what + (key.empty() ? "" : " (key '" + key + "')"),
               "redis cluster node " + at.text()};
}

Result<redisContext*> ClusterClient::connectionTo(const RedisAddress& at) {
  auto it = conns_.find(at.text());
  if (it != conns_.end()) return it->second;
  if (conns_.size() >= kMaxConnections) {
    // Keep the masters' connections only: the map churned through many nodes.
    for (auto i = conns_.begin(); i != conns_.end();) {
      bool master = std::any_of(map_.masters().begin(), map_.masters().end(),
                                [&](const RedisAddress& m) { return m.text() == i->first; });
      if (master) {
        ++i;
      } else {
        redisFree(i->second);
        i = conns_.erase(i);
      }
    }
  }
  auto c = openConnection(at, endpoint_.timeout_ms, endpoint_.credentials);
  if (!c.ok()) return c.error();
  conns_[at.text()] = c.value();
  return c.value();
}

Status ClusterClient::ensureMap() {
  if (!map_stale_) return {};
  int64_t now = steadyMs();
  if (now < retry_at_ms_) {
    return Error{ErrorKind::Disconnected,
                 "slot map unavailable: next attempt in " + std::to_string(retry_at_ms_ - now) +
                     " ms (after " + std::to_string(backoff_.failures()) + " failed)",
                 "redis cluster"};
  }
  auto st = refreshMap();
  if (!st.ok()) {
    retry_at_ms_ = steadyMs() + backoff_.failed();
    return st;
  }
  backoff_.succeeded();
  return {};
}

Status ClusterClient::refreshMap() {
  // The masters we know first (they have the freshest view), then the configured seeds.
  std::vector<RedisAddress> ask = map_.masters();
  for (const auto& seed : endpoint_.cluster_nodes) {
    if (std::find(ask.begin(), ask.end(), seed) == ask.end()) ask.push_back(seed);
  }
  std::string failures;
  for (const auto& node : ask) {
    auto c = connectionTo(node);
    Result<SlotMap> map = Error{};
    if (c.ok()) {
      auto reply = roundTrip(c.value(), {"CLUSTER", "SLOTS"});
      if (!reply.ok()) {
        drop(node);
        map = reply.error();
      } else {
        auto ranges = parseClusterSlots(reply.value(), node.host);
        map = ranges.ok() ? SlotMap::fromRanges(*ranges) : Result<SlotMap>(ranges.error());
      }
    } else {
      map = c.error();
    }
    if (map.ok()) {
      ++refreshes_;
      map_ = std::move(map.value());
      map_stale_ = false;
      std::vector<RedisAddress> masters = map_.masters();
      std::sort(masters.begin(), masters.end(),
                [](const auto& a, const auto& b) { return a.text() < b.text(); });
      // Different masters than before: a failover promoted a replica, and writes the old master
      // had not replicated may be gone (the limiter's recount hold watches this).
      if (!last_masters_.empty() && masters != last_masters_) ++epoch_;
      last_masters_ = std::move(masters);
      return {};
    }
    failures += (failures.empty() ? "" : "; ") + node.text() + ": " + map.error().message;
  }
  return Error{ErrorKind::Disconnected, "no node gave a complete slot map (" + failures + ")",
               "redis cluster"};
}

Result<RedisReply> ClusterClient::broadcast(const std::vector<std::string>& argv) {
  if (auto st = ensureMap(); !st.ok()) return st.error();
  std::optional<RedisReply> first;
  for (const auto& m : map_.masters()) {
    auto c = connectionTo(m);
    if (!c.ok()) {
      map_stale_ = true;
      return nodeError(m, c.error().message, {});
    }
    auto r = roundTrip(c.value(), argv);
    if (!r.ok()) {
      drop(m);
      map_stale_ = true;
      return nodeError(m, r.error().message, {});
    }
    if (r->type == RedisReply::Type::Error) return r;
    if (!first) first = std::move(r.value());
  }
  if (!first) return Error{ErrorKind::Disconnected, "no masters", "redis cluster"};
  return std::move(*first);
}

Result<RedisReply> ClusterClient::scan(const std::vector<std::string>& argv) {
  if (auto st = ensureMap(); !st.ok()) return st.error();
  // Cursor "0" starts at the first master; "<master>:<cursor>" continues one.
  size_t node = 0;
  std::string cursor = "0";
  if (argv.size() > 1 && argv[1] != "0") {
    auto colon = argv[1].find(':');
    if (colon == std::string::npos) {
      return Error{ErrorKind::InvalidInput, "not a cluster SCAN cursor: " + argv[1], "SCAN"};
    }
    node = std::strtoul(argv[1].substr(0, colon).c_str(), nullptr, 10);
    cursor = argv[1].substr(colon + 1);
  }
  const auto& masters = map_.masters();
  if (node >= masters.size()) return RedisReply::ofArray({RedisReply::ofString("0"), {}});
  std::vector<std::string> node_argv = argv;
  if (node_argv.size() < 2) node_argv.resize(2);
  node_argv[1] = cursor;
  auto c = connectionTo(masters[node]);
  if (!c.ok()) {
    map_stale_ = true;
    return nodeError(masters[node], c.error().message, {});
  }
  auto r = roundTrip(c.value(), node_argv);
  if (!r.ok()) {
    drop(masters[node]);
    map_stale_ = true;
    return nodeError(masters[node], r.error().message, {});
  }
  if (r->type != RedisReply::Type::Array || r->elements.size() != 2) return r;
  std::string next = r->elements[0].text;
  if (next == "0") {
    r->elements[0].text =
        node + 1 < masters.size() ? std::to_string(node + 1) + ":0" : std::string("0");
  } else {
    r->elements[0].text = std::to_string(node) + ":" + next;
  }
  return r;
}

Result<RedisReply> ClusterClient::command(const std::vector<std::string>& argv) {
  if (verbIs(argv, "SCAN")) return scan(argv);
  if (verbIs(argv, "SCRIPT")) return broadcast(argv);
  auto replies = pipeline({argv});
  if (!replies.ok()) return replies.error();
  return std::move(replies.value().front());
}

Result<std::vector<RedisReply>> ClusterClient::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  std::vector<RedisReply> out(commands.size());
  if (commands.empty()) return out;
  // Units: each keyed command with the keyless commands after it (WAIT counts the replicas of
  // the node the write went to). Checked before anything is sent.
  std::vector<Unit> units;
  for (size_t i = 0; i < commands.size(); ++i) {
    const auto& argv = commands[i];
    if (verbIs(argv, "MULTI") || verbIs(argv, "SCAN") || verbIs(argv, "SCRIPT")) {
      if (commands.size() == 1 && !verbIs(argv, "MULTI")) {
        auto r = command(argv);
        if (!r.ok()) return r.error();
        out[0] = std::move(r.value());
        return out;
      }
      return Error{ErrorKind::InvalidInput,
                   argv[0] + " cannot be pipelined on Redis Cluster (send it alone)",
                   "redis cluster"};
    }
    auto slot = commandSlot(argv);
    if (!slot.ok()) return slot.error();
    if (*slot < 0 && !units.empty()) {
      units.back().commands.push_back(i);
      continue;
    }
    Unit u;
    u.commands.push_back(i);
    u.slot = *slot;
    units.push_back(std::move(u));
  }
  if (auto st = ensureMap(); !st.ok()) return st.error();
  for (auto& u : units) {
    int owner = map_.ownerOf(u.slot < 0 ? 0 : u.slot);
    if (owner < 0) return Error{ErrorKind::Disconnected, "slot map is empty", "redis cluster"};
    u.target = map_.masters()[owner];
  }
  std::vector<Unit*> pending;
  for (auto& u : units) pending.push_back(&u);
  while (!pending.empty()) {
    // Send every pending unit to its node first, then read each node's replies: one round trip
    // per node, the nodes working in parallel.
    std::vector<std::pair<RedisAddress, std::vector<Unit*>>> by_node;
    for (Unit* u : pending) {
      auto it = std::find_if(by_node.begin(), by_node.end(),
                             [&](const auto& e) { return e.first == u->target; });
      if (it == by_node.end()) {
        by_node.push_back({u->target, {}});
        it = by_node.end() - 1;
      }
      it->second.push_back(u);
    }
    std::vector<redisContext*> ctxs;
    for (auto& [node, list] : by_node) {
      auto c = connectionTo(node);
      if (!c.ok()) {
        map_stale_ = true;
        // The connections already written to hold unread replies: drop them too.
        for (size_t k = 0; k < ctxs.size(); ++k) drop(by_node[k].first);
        return nodeError(node, c.error().message, firstKey(commands[list.front()->commands[0]]));
      }
      for (Unit* u : list) {
        if (u->asking) appendArgv(c.value(), {"ASKING"});
        for (size_t i : u->commands) appendArgv(c.value(), commands[i]);
      }
      ctxs.push_back(c.value());
    }
    std::vector<Unit*> again;
    std::optional<Error> failure;
    for (size_t n = 0; n < by_node.size(); ++n) {
      const RedisAddress node = by_node[n].first;
      redisContext* c = ctxs[n];
      bool remap = false;
      for (Unit* u : by_node[n].second) {
        size_t expect = u->commands.size() + (u->asking ? 1 : 0);
        std::vector<RedisReply> replies;
        for (size_t k = 0; k < expect && !failure; ++k) {
          void* raw = nullptr;
          if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) {
            std::string why = c->errstr[0] ? c->errstr : "no reply";
            failure = nodeError(node, "command failed: " + why, firstKey(commands[u->commands[0]]));
            break;
          }
          replies.push_back(copyReply(static_cast<redisReply*>(raw)));
          freeReplyObject(raw);
        }
        if (failure) break;
        if (u->asking) replies.erase(replies.begin());  // ASKING's +OK
        const RedisReply& lead = replies.front();
        if (auto redirect = parseRedirect(lead)) {
          if (++u->redirects > kMaxRedirects) {
            failure = Error{ErrorKind::Disconnected,
                            "redirected more than " + std::to_string(kMaxRedirects) +
                                " times (last: " + lead.text + ") for key '" +
                                firstKey(commands[u->commands[0]]) + "'",
                            "redis cluster node " + node.text()};
            break;
          }
          if (redirect->kind == Redirect::Kind::Moved) {
            ++moved_;
            map_.move(redirect->slot, redirect->to);
            map_stale_ = true;  // more slots probably moved with it: reload before the next call
            u->asking = false;
          } else {
            ++asked_;
            u->asking = true;  // once: the next redirect of this unit decides again
          }
          u->target = redirect->to;
          again.push_back(u);
          continue;
        }
        u->asking = false;
        for (size_t k = 0; k < u->commands.size(); ++k) {
          if (demandsRemap(replies[k])) remap = true;
          out[u->commands[k]] = std::move(replies[k]);
        }
      }
      if (failure) {
        // This node's stream is out of step; the others' unread replies too.
        for (size_t k = n; k < by_node.size(); ++k) drop(by_node[k].first);
        map_stale_ = true;
        return *failure;
      }
      if (remap) {
        drop(node);
        map_stale_ = true;
      }
    }
    pending = std::move(again);
  }
  for (const auto& r : out) {
    if (demandsRemap(r)) {
      return Error{ErrorKind::Disconnected, "not on a writable master: " + r.text, "redis cluster"};
    }
  }
  return out;
}

Result<RedisReply> ClusterClient::evalScript(RedisScript& script,
                                             const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args) {
  auto build = [&](const std::string& verb, const std::string& body_or_sha) {
    std::vector<std::string> argv{verb, body_or_sha, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  if (script.sha.empty()) {
    auto loaded = broadcast({"SCRIPT", "LOAD", script.body});
    if (!loaded.ok()) return loaded.error();
    if (loaded->type != RedisReply::Type::String) {
      return Error{ErrorKind::Internal, "SCRIPT LOAD failed: " + loaded->text, "redis cluster"};
    }
    script.sha = loaded->text;
  }
  auto reply = command(build("EVALSHA", script.sha));
  if (!reply.ok()) return reply;
  // A master that joined later (a promoted replica has the scripts; a resharded one may not).
  if (isNoScript(reply.value())) {
    script.sha.clear();
    return command(build("EVAL", script.body));
  }
  return reply;
}

}  // namespace callmesh::redis
