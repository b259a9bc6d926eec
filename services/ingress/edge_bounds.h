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
  // ingress.max_header_section_bytes: every header line together. Carriers' INVITEs carry 1-3 KiB
  // of headers (a dozen Vias and Record-Routes, identity headers, a few X- headers); 16 KiB is
  // five times the fullest of those, and a quarter of NTA's whole-message limit (64 KiB), so a
  // section of many lines each under max_header_bytes is stopped here, before it costs parsing
  // state downstream, instead of only by the message limit.
  size_t max_header_section_bytes = 16384;
};

// Why a request was refused, and the response it gets (when it may get one: never for ACK).
struct Oversized {
  int status = 400;
  const char* phrase = "";
  const char* what = "";  // the part over its bound, for the log
  // Over UDP the request is dropped without an answer: a datagram that large came from a sender
  // ignoring RFC 3261 18.1.1 (over 1300 bytes goes by TCP), its source may be spoofed, and an
  // answer would reflect traffic at it. Over TCP the source is real and gets the answer.
  bool silent_over_udp = false;
};

// The bytes of the header section: every header line with its name and CRLF, without the start
// line and the blank line ending the section. Each line is counted as received where sofia kept
// its bytes, else as sofia writes it out again: a list header sent as one line ("Via: a, b")
// counts as one line per element (a few bytes more than the wire), folding whitespace as one
// space. Either way what is measured is what the proxy would carry on, within a few bytes a
// header of the wire size.
size_t headerSectionBytes(const sip_t* sip);

// The first part of `sip` over its bound, or nothing when every part is within. The header
// section: 513 Message Too Large (RFC 3261 21.5.7, the server cannot process a message that
// long; sofia answers it the same way for messages over its own size limit), silent over UDP.
// Request-URI: 414 Request-URI Too Long (RFC 3261 21.4.12); anything else: 400 Bad Request with
// a phrase naming the part.
std::optional<Oversized> oversizedPart(const EdgeBounds& bounds, const sip_t* sip);

}  // namespace callmesh::ingress
