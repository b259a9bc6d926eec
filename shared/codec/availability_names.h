#pragma once

#include <string>

#include "schemas/presence.capnp.h"

namespace callmesh::codec {

// The names an agent's availability has in Redis (`cm:agent:{id}` availability, docs/redis-keys.md)
// and in the HTTP API. One mapping for every service, so they cannot drift apart.
inline std::string availabilityName(schema::Availability a) {
  switch (a) {
    case schema::Availability::AWAY:
      return "away";
    case schema::Availability::OFFLINE:
      return "offline";
    case schema::Availability::DO_NOT_DISTURB:
      return "dnd";
    default:
      return "available";
  }
}

// Absent or unknown names are "available" (docs/redis-keys.md: agents default to available).
inline schema::Availability availabilityFromName(const std::string& name) {
  if (name == "away") return schema::Availability::AWAY;
  if (name == "offline") return schema::Availability::OFFLINE;
  if (name == "dnd") return schema::Availability::DO_NOT_DISTURB;
  return schema::Availability::AVAILABLE;
}

// True for the four names the API and Redis use ("available", "away", "offline", "dnd"): what a
// request may ask for, where availabilityFromName() would quietly read anything else as available.
inline bool isAvailabilityName(const std::string& name) {
  return name == "available" || name == "away" || name == "offline" || name == "dnd";
}

}  // namespace callmesh::codec
