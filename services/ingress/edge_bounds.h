#pragma once

#include <cstddef>
#include <optional>

#include "services/ingress/sofia.h"

namespace callmesh::ingress {

// Upper bounds on what one request may carry into the cluster (issue 16). The Call-ID rides in
// every frame the ingress sends about the call (acquire, renewals, releases, events) and in the
// Redis slot sets, so its bound is what lets those frames be bounded by construction. The
// defaults are far above what RFC-respecting carriers send (Call-IDs of 20-80 bytes, URIs and
// headers of a few hundred): only a broken or hostile sender reaches them.
struct EdgeBounds {
  size_t max_call_id_bytes = 256;  // ingress.max_call_id_bytes
  size_t max_uri_bytes = 1024;     // ingress.max_uri_bytes: Request-URI, From and To URIs
  size_t max_header_bytes = 4096;  // ingress.max_header_bytes: any one header line as received
};

// Why a request was refused, and the response it gets (when it may get one: never for ACK).
struct Oversized {
  int status = 400;
  const char* phrase = "";
  const char* what = "";  // the part over its bound, for the log
};

// The first part of `sip` over its bound, or nothing when every part is within. Request-URI:
// 414 Request-URI Too Long (RFC 3261 21.4.12); anything else: 400 Bad Request with a phrase
// naming the part.
std::optional<Oversized> oversizedPart(const EdgeBounds& bounds, const sip_t* sip);

}  // namespace callmesh::ingress
