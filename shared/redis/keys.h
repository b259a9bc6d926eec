#pragma once

// The one place that builds callmesh's Redis key names (docs/redis-keys.md). Each family has one
// owner (the service that writes it, named below); every other service reads it through these
// builders, never by writing the name itself. The part in braces is the Redis Cluster hash tag:
// all keys of one number, call, agent or contact share a hash slot.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/redis/cluster_slots.h"
#include "shared/redis/slot_keys.h"

namespace callmesh::redis {

// The text inside the first '{' and the last '}' of a key (its hash tag), or "" when there is
// none: what a SCAN over one family hands back as the id of each member.
inline std::string hashTagOf(std::string_view key) {
  auto open = key.find('{');
  auto close = key.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close <= open) return {};
  return std::string(key.substr(open + 1, close - open - 1));
}

// Owner: agent-presence. Readers: notification API (live calls).
namespace presence_keys {
inline std::string call(const std::string& call_id) { return "cm:call:{" + call_id + "}:presence"; }
inline constexpr std::string_view kCallPattern = "cm:call:{*}:presence";
inline std::string numberOnCall(const std::string& number) {
  return "cm:number:{" + number + "}:oncall";
}
inline constexpr std::string_view kNumberOnCallPattern = "cm:number:{*}:oncall";
// An agent's line state and availability. Readers: router (blasts, queues), notification API.
inline std::string agent(const std::string& agent_id) { return "cm:agent:{" + agent_id + "}"; }
inline constexpr std::string_view kAgentPattern = "cm:agent:{*}";
}  // namespace presence_keys

// Owner: notification.
namespace notification_keys {
inline std::string record(const std::string& call_id) { return "cm:notif:{" + call_id + "}"; }
// Indexes of records (sorted sets scored by time; trimmed to notification.retention on write).
// The account-wide indexes are sharded by the record's Call-ID over kUnclaimedShards keys, each
// its own hash tag, so on Redis Cluster they spread over the masters instead of making one slot
// hold every missed call; readers merge the shards' pages by time (docs/redis-cluster.md). The
// count is fixed: changing it would orphan the entries in the shards that went away.
inline constexpr int kUnclaimedShards = 8;
inline int unclaimedShardOf(const std::string& call_id) {
  return crc16(call_id) % kUnclaimedShards;
}
// Every unclaimed record (the admin's list), scored by when the call ended / the text arrived.
inline std::string unclaimedShard(int shard) {
  return "cm:{unclaimed:" + std::to_string(shard) + "}:all";
}
// Unclaimed missed calls: every user's inbox (seed 004: "all users can see the record").
inline std::string unclaimedMissedShard(int shard) {
  return "cm:{unclaimed:" + std::to_string(shard) + "}:missed";
}
inline constexpr std::string_view kUnclaimedShardPattern = "cm:{unclaimed:*}:*";
inline std::string unclaimedOf(const std::string& call_id) {
  return unclaimedShard(unclaimedShardOf(call_id));
}
inline std::string unclaimedMissedOf(const std::string& call_id) {
  return unclaimedMissedShard(unclaimedShardOf(call_id));
}
inline std::vector<std::string> allUnclaimedShards() {
  std::vector<std::string> out;
  for (int i = 0; i < kUnclaimedShards; ++i) out.push_back(unclaimedShard(i));
  return out;
}
inline std::vector<std::string> allUnclaimedMissedShards() {
  std::vector<std::string> out;
  for (int i = 0; i < kUnclaimedShards; ++i) out.push_back(unclaimedMissedShard(i));
  return out;
}
// Unclaimed texts routed to the agent (seed 004: "visible for all of them until anyone claims").
inline std::string agentUnclaimed(const std::string& agent_id) {
  return "cm:agent:{" + agent_id + "}:unclaimed";
}
// What the agent claimed, scored by the claim's time.
inline std::string agentClaimed(const std::string& agent_id) {
  return "cm:agent:{" + agent_id + "}:claimed";
}
// The agent's answered calls from unknown callers.
inline std::string agentAnswered(const std::string& agent_id) {
  return "cm:agent:{" + agent_id + "}:answered";
}
// Which indexes exist and when each was last trimmed (sorted sets: member = an index key above,
// score = ms of its last trim). The record and claim scripts add every index they touch; the
// periodic pass (NotificationStore::trimIdleIndexes) trims the least recently trimmed few, so an
// idle agent's index loses its expired entries without that agent doing anything. One per
// retention horizon: indexes of unclaimed records, and of claimed/answered ones. Bounded by the
// number of indexes (two global ones plus three per agent); an emptied index leaves the ledger.
inline constexpr const char* kTrimLedgerUnclaimed = "cm:notifications:trim:unclaimed";
inline constexpr const char* kTrimLedgerHandled = "cm:notifications:trim:handled";
inline std::string numberSettings(const std::string& number) {
  return "cm:number:{" + number + "}:settings";
}
inline constexpr std::string_view kNumberSettingsPattern = "cm:number:{*}:settings";
// Contacts (seeds 001/004). Readers: router (known callers).
inline std::string contact(const std::string& contact_id) {
  return "cm:contact:{" + contact_id + "}";
}
inline constexpr std::string_view kContactPattern = "cm:contact:{*}";
inline std::string contactsByNumber(const std::string& e164) {
  return "cm:contacts:number:{" + e164 + "}";
}
// Pub/sub channel for the console's live stream (publishers: notification, agent-presence).
inline constexpr const char* kEventChannel = "cm:events";
}  // namespace notification_keys

// Owner: notification (call detail records, issue 20). Every record is one entry of the stream;
// the indexes are sorted sets scored by the call's end (ms), members the stream entry ids, trimmed
// to notification.records retention on each write and expiring when idle that long. Every key
// carries the one hash tag `{cdr}`, so the record script (stream, the call's key and its indexes)
// touches one hash slot and runs on Redis Cluster too; the price is that all call records live on
// one cluster node (one stream is one key anyway). docs/redis-cluster.md.
namespace record_keys {
inline constexpr const char* kStream = "cm:{cdr}:stream";
inline constexpr const char* kByTime = "cm:{cdr}:by-time";
// The record's stream entry id, set once per Call-ID (what makes the write idempotent).
inline std::string call(const std::string& call_id) { return "cm:{cdr}:call:" + call_id; }
inline std::string byNumber(const std::string& number) { return "cm:{cdr}:number:" + number; }
inline std::string byAgent(const std::string& agent_id) { return "cm:{cdr}:agent:" + agent_id; }
inline std::string byOutcome(const std::string& outcome) { return "cm:{cdr}:outcome:" + outcome; }
}  // namespace record_keys

// Owner: notification (webhooks, issue 20). Producers queue an event to the outbox right after
// the fact it reports is written (webhook_outbox.h), only while a subscription exists; the
// dispatcher fans each out to one delivery per subscription that asked for its type. Every key
// carries the one hash tag `{webhooks}`, so each webhook script (queue, fan-out, claim, retry)
// touches one hash slot and runs on Redis Cluster.
namespace webhook_keys {
inline constexpr const char* kSubscriptions = "cm:{webhooks}:subscriptions";  // set of ids
inline constexpr const char* kSubscriptionPrefix = "cm:{webhooks}:sub:";
inline std::string subscription(const std::string& id) { return kSubscriptionPrefix + id; }
inline constexpr const char* kOutbox = "cm:{webhooks}:outbox";  // list of event JSON
// Set (with a TTL) when an event is queued: a producer's retry of the same fact queues nothing.
inline std::string queued(const std::string& event_id) {
  return "cm:{webhooks}:queued:" + event_id;
}
// Deliveries waiting (score: next attempt ms, or the lease's end while one is in flight).
inline constexpr const char* kDue = "cm:{webhooks}:due";
inline constexpr const char* kDead = "cm:{webhooks}:dead";  // dead letters, scored by when
inline constexpr const char* kDeliveryPrefix = "cm:{webhooks}:delivery:";
inline std::string delivery(const std::string& id) { return kDeliveryPrefix + id; }
}  // namespace webhook_keys

// Owner: router (seed 002 outbound caller ID history).
namespace outbound_keys {
inline std::string callee(const std::string& e164) { return "cm:outbound:{" + e164 + "}"; }
}  // namespace outbound_keys

// Owner: notification (the provisioning API writes; router replicas, agent-presence and the API
// read). The routing table as versioned documents (docs/provisioning.md). One hash tag
// ({routing}) for the whole family: activation is one Lua script over these keys.
namespace routing_keys {
// The last version number handed out (INCR): the config epoch, monotonic, never reused.
inline constexpr const char* kEpoch = "cm:{routing}:epoch";
// The active version's number: what every router replica routes on.
inline constexpr const char* kActive = "cm:{routing}:active";
// One document: hash {yaml, sha, author, at_ms, action, based_on}.
inline std::string document(uint64_t version) {
  return "cm:{routing}:doc:" + std::to_string(version);
}
// Every kept version (score = member = version), trimmed to the retention on each activation.
inline constexpr const char* kVersions = "cm:{routing}:versions";
// The audit log: a stream of {epoch, based_on, who, action, at_ms, diff}, capped in length.
inline constexpr const char* kAudit = "cm:{routing}:audit";
// Router replicas' loaded versions: field = replica id, value = "<version> <at_ms>"; fields not
// refreshed for ten minutes are removed by the next report.
inline constexpr const char* kReplicas = "cm:{routing}:replicas";
}  // namespace routing_keys

}  // namespace callmesh::redis
