#pragma once

// The pure half of Redis Cluster (https://redis.io/docs/reference/cluster-spec/): which hash slot
// a key lives in, which master serves a slot (`CLUSTER SLOTS`), what a MOVED / ASK redirection
// says, and which arguments of a command are keys. No sockets here, so unit tests drive every
// case (cluster_slots_test.cpp); ClusterClient applies them.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shared/base/result.h"
#include "shared/redis/failover_policy.h"
#include "shared/redis/redis_reply.h"

namespace callmesh::redis {

inline constexpr int kClusterSlots = 16384;

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), the checksum Redis Cluster hashes keys with.
uint16_t crc16(std::string_view data);

// The hash slot of `key`: CRC16 of its hash tag (the text between the first '{' and the first
// '}' after it, when that text is not empty) or of the whole key, modulo 16384.
int keySlot(std::string_view key);

// One range of slots and the master serving it, from `CLUSTER SLOTS`.
struct SlotRange {
  int first = 0;
  int last = 0;
  RedisAddress master;
};

// `CLUSTER SLOTS`'s reply: [[first, last, [host, port, id...], replicas...], ...]. An empty host
// (a node that does not know its own address) is `fallback_host`, the node we asked.
Result<std::vector<SlotRange>> parseClusterSlots(const RedisReply& reply,
                                                 const std::string& fallback_host);

// Which master serves each slot. Masters are numbered in order of first appearance.
class SlotMap {
 public:
  SlotMap() { owner_.fill(-1); }
  // Every slot covered: a map with holes (a cluster still being created) is refused.
  static Result<SlotMap> fromRanges(const std::vector<SlotRange>& ranges);

  // The index in masters() of the node serving `slot`, or -1 when none does.
  int ownerOf(int slot) const { return slot >= 0 && slot < kClusterSlots ? owner_[slot] : -1; }
  const std::vector<RedisAddress>& masters() const { return masters_; }
  // A MOVED said `slot` is now served by `to` (adds `to` when new).
  void move(int slot, const RedisAddress& to);
  bool empty() const { return masters_.empty(); }

 private:
  std::array<int16_t, kClusterSlots> owner_;
  std::vector<RedisAddress> masters_;
};

// A redirection error reply: "MOVED <slot> <host>:<port>" (the slot lives there now: update the
// map) or "ASK <slot> <host>:<port>" (it is being migrated: send ASKING then the command there,
// once). Anything else: nullopt.
struct Redirect {
  enum class Kind { Moved, Ask };
  Kind kind = Kind::Moved;
  int slot = 0;
  RedisAddress to;
};
std::optional<Redirect> parseRedirect(const RedisReply& reply);

// The key arguments of `argv` for the commands callmesh sends (keyless commands such as PING,
// TIME, WAIT, PUBLISH, SCRIPT: none). EVAL/EVALSHA: the declared keys; DEL/EXISTS/MGET/UNLINK:
// every argument; otherwise the first argument.
std::vector<std::string_view> commandKeys(const std::vector<std::string>& argv);

// The one slot every key of `argv` lives in, -1 for a keyless command, or an InvalidInput error
// naming two keys in different slots (Redis would answer CROSSSLOT).
Result<int> commandSlot(const std::vector<std::string>& argv);

}  // namespace callmesh::redis
