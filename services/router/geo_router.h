#pragma once

#include <string>

#include "services/router/routing_table.h"

namespace callmesh::router {

// What a geo router chose for one caller, and why (for the trace).
struct GeoChoice {
  bool matched = false;  // false: use the router's fallback destination
  std::string receiving_number;
  std::string why;
};

// seed 000: the caller's ZIP (gateway header) wins; else the longest E.164 prefix of the caller's
// number (area code table); else no match. `caller_zip` may be ZIP+4 ("10001-1234").
GeoChoice chooseByCallerLocation(const GeoRouter& router, const std::string& caller_zip,
                                 const std::string& caller_e164);

}  // namespace callmesh::router
