#include "shared/redis/cluster_slots.h"

#include <algorithm>
#include <cctype>

namespace callmesh::redis {

namespace {

// Commands whose every argument is a key.
bool allArgsAreKeys(std::string_view verb) {
  for (const char* v : {"DEL", "UNLINK", "EXISTS", "MGET", "TOUCH", "WATCH"}) {
    if (verb == v) return true;
  }
  return false;
}

// Commands without keys: routed to any node (a pipeline sends them where the command before
// them went, so WAIT after a script counts that node's replicas).
bool isKeyless(std::string_view verb) {
  for (const char* v :
       {"PING",      "TIME",        "WAIT",       "PUBLISH",      "SCRIPT", "INFO",     "ROLE",
        "CLUSTER",   "AUTH",        "ECHO",       "DBSIZE",       "MULTI",  "EXEC",     "DISCARD",
        "ASKING",    "SCAN",        "FLUSHALL",   "FLUSHDB",      "CONFIG", "READONLY", "COMMAND",
        "SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE", "KEYS",   "RANDOMKEY"}) {
    if (verb == v) return true;
  }
  return false;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool parseInt(std::string_view s, int64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

}  // namespace

uint16_t crc16(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char byte : data) {
    crc ^= static_cast<uint16_t>(byte) << 8;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

int keySlot(std::string_view key) {
  auto open = key.find('{');
  if (open != std::string_view::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return crc16(key) & (kClusterSlots - 1);
}

Result<std::vector<SlotRange>> parseClusterSlots(const RedisReply& reply,
                                                 const std::string& fallback_host) {
  const std::string where = "CLUSTER SLOTS";
  if (reply.type == RedisReply::Type::Error) return Error{ErrorKind::Internal, reply.text, where};
  if (reply.type != RedisReply::Type::Array) {
    return Error{ErrorKind::Internal, "not an array", where};
  }
  std::vector<SlotRange> out;
  for (const auto& entry : reply.elements) {
    if (entry.type != RedisReply::Type::Array || entry.elements.size() < 3 ||
        entry.elements[0].type != RedisReply::Type::Integer ||
        entry.elements[1].type != RedisReply::Type::Integer ||
        entry.elements[2].type != RedisReply::Type::Array ||
        entry.elements[2].elements.size() < 2) {
      return Error{ErrorKind::Internal, "malformed slot range", where};
    }
    SlotRange r;
    r.first = static_cast<int>(entry.elements[0].integer);
    r.last = static_cast<int>(entry.elements[1].integer);
    if (r.first < 0 || r.last >= kClusterSlots || r.first > r.last) {
      return Error{ErrorKind::Internal,
                   "slot range " + std::to_string(r.first) + "-" + std::to_string(r.last) +
                       " out of 0-16383",
                   where};
    }
    const auto& node = entry.elements[2].elements;
    if (node[1].type != RedisReply::Type::Integer || node[1].integer <= 0 ||
        node[1].integer > 65535) {
      return Error{ErrorKind::Internal, "malformed node port", where};
    }
    r.master.host = node[0].text.empty() ? fallback_host : node[0].text;
    r.master.port = static_cast<int>(node[1].integer);
    out.push_back(std::move(r));
  }
  return out;
}

Result<SlotMap> SlotMap::fromRanges(const std::vector<SlotRange>& ranges) {
  SlotMap map;
  for (const auto& r : ranges) {
    for (int s = r.first; s <= r.last; ++s) map.move(s, r.master);
  }
  for (int s = 0; s < kClusterSlots; ++s) {
    if (map.owner_[s] < 0) {
      return Error{ErrorKind::Disconnected,
                   "slot " + std::to_string(s) + " is served by no master (cluster not ready)",
                   "CLUSTER SLOTS"};
    }
  }
  return map;
}

void SlotMap::move(int slot, const RedisAddress& to) {
  if (slot < 0 || slot >= kClusterSlots) return;
  auto it = std::find(masters_.begin(), masters_.end(), to);
  if (it == masters_.end()) {
    masters_.push_back(to);
    it = masters_.end() - 1;
  }
  owner_[slot] = static_cast<int16_t>(it - masters_.begin());
}

std::optional<Redirect> parseRedirect(const RedisReply& reply) {
  if (reply.type != RedisReply::Type::Error) return std::nullopt;
  std::string_view t = reply.text;
  Redirect r;
  if (t.rfind("MOVED ", 0) == 0) {
    r.kind = Redirect::Kind::Moved;
    t.remove_prefix(6);
  } else if (t.rfind("ASK ", 0) == 0) {
    r.kind = Redirect::Kind::Ask;
    t.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  auto space = t.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  int64_t slot = 0;
  if (!parseInt(t.substr(0, space), slot) || slot >= kClusterSlots) return std::nullopt;
  std::string_view addr = t.substr(space + 1);
  auto colon = addr.rfind(':');
  int64_t port = 0;
  if (colon == std::string_view::npos || colon == 0 || !parseInt(addr.substr(colon + 1), port) ||
      port <= 0 || port > 65535) {
    return std::nullopt;
  }
  std::string_view host = addr.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  r.slot = static_cast<int>(slot);
  r.to = RedisAddress{std::string(host), static_cast<int>(port)};
  return r;
}

std::vector<std::string_view> commandKeys(const std::vector<std::string>& argv) {
  std::vector<std::string_view> keys;
  if (argv.empty()) return keys;
  const std::string verb = upper(argv[0]);
  if (verb == "EVAL" || verb == "EVALSHA") {
    int64_t n = 0;
    if (argv.size() < 3 || !parseInt(argv[2], n)) return keys;
    for (size_t i = 3; i < argv.size() && i < 3 + static_cast<size_t>(n); ++i) {
      keys.push_back(argv[i]);
    }
    return keys;
  }
  if (isKeyless(verb)) return keys;
  if (allArgsAreKeys(verb)) {
    for (size_t i = 1; i < argv.size(); ++i) keys.push_back(argv[i]);
    return keys;
  }
  if (argv.size() > 1) keys.push_back(argv[1]);
  return keys;
}

Result<int> commandSlot(const std::vector<std::string>& argv) {
  int slot = -1;
  std::string_view first;
  for (auto key : commandKeys(argv)) {
    int s = keySlot(key);
    if (slot < 0) {
      slot = s;
      first = key;
    } else if (s != slot) {
      return Error{ErrorKind::InvalidInput,
                   "keys in different hash slots (CROSSSLOT): '" + std::string(first) + "' (" +
                       std::to_string(slot) + ") and '" + std::string(key) + "' (" +
                       std::to_string(s) + ")",
                   argv[0]};
    }
  }
  return slot;
}

}  // namespace callmesh::redis
