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

// True for exactly the names availabilityName() gives: what an agent's stored or requested
// availability must be. Defined as the round trip through the enum, so a new availability needs
// only the two mappings above, and no service keeps its own list of names.
inline bool isAvailabilityName(const std::string& name) {
  return availabilityName(availabilityFromName(name)) == name;
}

}  // namespace callmesh::codec
