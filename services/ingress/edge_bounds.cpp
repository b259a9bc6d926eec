#include "services/ingress/edge_bounds.h"

#include <cstring>

namespace callmesh::ingress {

namespace {

// The URL's length as it would be written out (sofia encodes it; nothing is allocated).
size_t urlBytes(const url_t* url) {
  if (!url) return 0;
  isize_t n = url_e(nullptr, 0, url);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

// Bytes of one header as received: the parser keeps where each header's bytes start and how
// many there are (h_data/h_len), so this costs nothing. A header without them (not from the
// wire) is measured by encoding it into no buffer.
size_t headerBytes(const msg_header_t* h) {
  isize_t n = h->sh_data ? static_cast<isize_t>(h->sh_len) : msg_header_field_e(nullptr, 0, h, 0);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

const msg_header_t* startLine(const sip_t* sip) {
  const msg_header_t* first = reinterpret_cast<const msg_header_t*>(sip->sip_request);
  return first ? first : reinterpret_cast<const msg_header_t*>(sip->sip_status);
}

bool isHeader(const msg_header_t* h) {
  return h->sh_class != sip_payload_class && h->sh_class != sip_separator_class;
}

}  // namespace

size_t headerSectionBytes(const sip_t* sip) {
  if (!sip) return 0;
  const msg_header_t* first = startLine(sip);
  size_t total = 0;
  for (const msg_header_t* h = first ? first->sh_succ : nullptr; h; h = h->sh_succ) {
    if (h->sh_class == sip_separator_class) break;
    if (!isHeader(h)) continue;
    // The whole line: name, value and CRLF, as received when the parser kept the bytes, else as
    // encoded (msg_header_e with no buffer only counts).
    isize_t n = h->sh_data ? static_cast<isize_t>(h->sh_len) : msg_header_e(nullptr, 0, h, 0);
    if (n > 0) total += static_cast<size_t>(n);
  }
  return total;
}

std::optional<Oversized> oversizedPart(const EdgeBounds& bounds, const sip_t* sip) {
  if (!sip) return std::nullopt;
  if (headerSectionBytes(sip) > bounds.max_header_section_bytes)
    return Oversized{513, "Message Too Large (header section)", "header_section", true};
  if (sip->sip_request && urlBytes(sip->sip_request->rq_url) > bounds.max_uri_bytes)
    return Oversized{414, "Request-URI Too Long", "request_uri"};
  if (sip->sip_call_id && sip->sip_call_id->i_id &&
      std::strlen(sip->sip_call_id->i_id) > bounds.max_call_id_bytes)
    return Oversized{400, "Bad Request (Call-ID too long)", "call_id"};
  if (sip->sip_from && urlBytes(sip->sip_from->a_url) > bounds.max_uri_bytes)
    return Oversized{400, "Bad Request (From URI too long)", "from"};
  if (sip->sip_to && urlBytes(sip->sip_to->a_url) > bounds.max_uri_bytes)
    return Oversized{400, "Bad Request (To URI too long)", "to"};
  // Every header line as received. The start line is bounded by the Request-URI's bound and
  // the body by NTA's whole-message limit (NTATAG_MAXSIZE).
  const msg_header_t* first = startLine(sip);
  for (const msg_header_t* h = first ? first->sh_succ : nullptr; h; h = h->sh_succ) {
    if (isHeader(h) && headerBytes(h) > bounds.max_header_bytes)
      return Oversized{400, "Bad Request (header too long)", "header"};
  }
  return std::nullopt;
}

}  // namespace callmesh::ingress
