#pragma once

// The one place that builds callmesh's Redis key names (docs/redis-keys.md). Each family has one
// owner (the service that writes it, named below); every other service reads it through these
// builders, never by writing the name itself. The part in braces is the Redis Cluster hash tag:
// all keys of one number, call, agent or contact share a hash slot.
#include <cstdint>
#include <string>
#include <string_view>

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
// Every unclaimed record (the admin's list), scored by when the call ended / the text arrived.
inline constexpr const char* kUnclaimed = "cm:notifications:unclaimed";
// Unclaimed missed calls: every user's inbox (seed 004: "all users can see the record").
inline constexpr const char* kUnclaimedMissed = "cm:notifications:unclaimed:missed";
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
