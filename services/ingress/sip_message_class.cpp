#include "services/ingress/sip_message_class.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sofia-sip/msg_buffer.h>
#include <sofia-sip/msg_mclass.h>
#include <sofia-sip/msg_parser.h>
#include <sofia-sip/sip_parser.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace callmesh::ingress {
namespace {

// Copies of sofia's classes that differ only in hc_parse. Static storage: parsed headers point
// at their class for a moment (until the parse function hands them back), and the message class
// points at these for the life of the process.
struct msg_hclass_s via_class;
struct msg_hclass_s cseq_class;
struct msg_hclass_s request_class;
msg_mclass_t* ingress_class = nullptr;

// Our parse functions run for messages of ingress_class, where the home is the message itself
// (sofia's header_parse passes msg_home(msg)). msg_header_d() could in principle call them with
// another home; this check keeps us from treating that home as a message.
msg_t* messageOf(su_home_t* home) {
  if (home == nullptr || home->suh_size < static_cast<int>(sizeof(su_home_t) + sizeof(sip_t)))
    return nullptr;
  auto* msg = reinterpret_cast<msg_t*>(home);
  return msg_mclass(msg) == ingress_class ? msg : nullptr;
}

// RFC 3261 25.1 token characters that sofia's method scanner refuses.
bool hasMethodCharSofiaRefuses(const char* s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (s[i] == '+' || s[i] == '`') return true;
  return false;
}

std::size_t tokenLength(const char* s) {
  std::size_t n = 0;
  while (s[n] != '\0' && (std::isalnum(static_cast<unsigned char>(s[n])) ||
                          std::strchr("-.!%*_+`'~", s[n]) != nullptr))
    ++n;
  return n;
}

// Parses `s` with `method` (at [at, at+len)) replaced by the stand-in "X", then gives the header
// the real name as an extension method. The buffer is not modified: sofia may re-send its bytes.
char* withStandInMethod(su_home_t* home, const char* s, std::size_t slen, std::size_t at,
                        std::size_t len) {
  char* copy = static_cast<char*>(su_alloc(home, slen - len + 2));
  if (copy == nullptr) return nullptr;
  std::memcpy(copy, s, at);
  copy[at] = 'X';
  std::memcpy(copy + at + 1, s + at + len, slen - at - len);
  copy[slen - len + 1] = '\0';
  return copy;
}

// sofia parses headers as C strings, so a NUL octet ends a header line early and the rest of
// the message is lost. Inside a quoted string a NUL is legal as a quoted-pair ("\\" %x00, RFC
// 3261 25.1; RFC 4475 3.1.1.2 puts one in a To display name). Before the headers are parsed, such
// NULs in the buffered header section become spaces: the display name loses one invisible
// character and the request is served. NULs anywhere else, and bodies, are left alone.
void blankQuotedNuls(msg_t* msg) {
  auto* data = static_cast<char*>(msg_buf_committed_data(msg));
  std::size_t size = msg_buf_committed(msg);
  if (data == nullptr || std::memchr(data, '\0', size) == nullptr) return;
  bool quoted = false;
  for (std::size_t i = 0; i < size; ++i) {
    char c = data[i];
    if (!quoted && c == '\n' && i + 2 < size && data[i + 1] == '\r' && data[i + 2] == '\n') return;
    if (c == '"') {
      quoted = !quoted;
    } else if (quoted && c == '\\' && i + 1 < size) {
      if (data[i + 1] == '\0') data[i + 1] = ' ';
      ++i;
    } else if (c == '\r' || c == '\n') {
      quoted = false;  // a quoted string never spans lines
    }
  }
}

issize_t parseRequestLine(su_home_t* home, msg_header_t* h, char* s, isize_t slen) {
  if (msg_t* msg = messageOf(home)) blankQuotedNuls(msg);
  std::size_t method_len = tokenLength(s);
  issize_t rc;
  if (method_len > 0 && s[method_len] == ' ' && hasMethodCharSofiaRefuses(s, method_len)) {
    char* copy = withStandInMethod(home, s, static_cast<std::size_t>(slen), 0, method_len);
    rc = copy ? sip_request_d(home, h, copy, slen - method_len + 1) : -1;
    if (rc >= 0) {
      reinterpret_cast<sip_request_t*>(h)->rq_method = sip_method_unknown;
      reinterpret_cast<sip_request_t*>(h)->rq_method_name = su_strndup(home, s, method_len);
    }
  } else {
    rc = sip_request_d(home, h, s, slen);
  }
  h->sh_class = sip_request_class;
  return rc;
}

issize_t parseCSeq(su_home_t* home, msg_header_t* h, char* s, isize_t slen) {
  std::size_t at = std::strspn(s, "0123456789");
  at += std::strspn(s + at, " \t\r\n");
  std::size_t method_len = tokenLength(s + at);
  issize_t rc;
  if (method_len > 0 && hasMethodCharSofiaRefuses(s + at, method_len)) {
    char* copy = withStandInMethod(home, s, static_cast<std::size_t>(slen), at, method_len);
    rc = copy ? sip_cseq_d(home, h, copy, slen - method_len + 1) : -1;
    if (rc >= 0) {
      reinterpret_cast<sip_cseq_t*>(h)->cs_method = sip_method_unknown;
      reinterpret_cast<sip_cseq_t*>(h)->cs_method_name = su_strndup(home, s + at, method_len);
    }
  } else {
    rc = sip_cseq_d(home, h, s, slen);
  }
  h->sh_class = sip_cseq_class;
  return rc;
}

// Received request: record its top Via as arriving on the socket's real transport, and for an
// unsupported SIP version stamp received/rport (see the header for why).
std::atomic<bool> tls_listening{false};

void amendTopVia(msg_t* msg, sip_via_t* v) {
  sip_t* sip = sip_object(msg);
  su_addrinfo_t* ai = msg_addrinfo(msg);
  if (sip == nullptr || sip->sip_request == nullptr || ai == nullptr) return;
  if (!su_casematch(sip->sip_request->rq_version, sip_version_2_0)) {
    auto* from = reinterpret_cast<su_sockaddr_t*>(ai->ai_addr);
    char host[INET6_ADDRSTRLEN] = {0};
    if (from == nullptr || (from->su_family != AF_INET && from->su_family != AF_INET6)) return;
    const void* addr = from->su_family == AF_INET
                           ? static_cast<const void*>(&from->su_sin.sin_addr)
                           : static_cast<const void*>(&from->su_sin6.sin6_addr);
    if (inet_ntop(from->su_family, addr, host, sizeof host) == nullptr) return;
    su_home_t* home = msg_home(msg);
    msg_header_replace_param(home, v->v_common, su_sprintf(home, "received=%s", host));
    msg_header_replace_param(home, v->v_common, su_sprintf(home, "rport=%u", ntohs(from->su_port)));
    return;
  }
  const char* arrived = ai->ai_protocol == IPPROTO_TCP   ? sip_transport_tcp
                        : ai->ai_protocol == IPPROTO_UDP ? sip_transport_udp
                                                         : nullptr;
  if (arrived == nullptr || v->v_protocol == nullptr) return;
  // Only a SIP/2.0 Via naming another transport; "SIP/2.0/UDP" vs "sip/2.0/udp" is no mismatch.
  if (std::strncmp(v->v_protocol, "SIP/2.0/", 8) != 0 || su_casematch(v->v_protocol, arrived))
    return;
  // TLS runs over TCP and the parser cannot tell the two apart (the socket says TCP for both):
  // with a TLS listener a TLS Via on a stream is left as sent, and NTA's own Via check holds it
  // against the transport it came on, refusing a "TLS" Via on plain TCP (issue 21).
  if (arrived == sip_transport_tcp && su_casematch(v->v_protocol, sip_transport_tls) &&
      tls_listening.load(std::memory_order_relaxed))
    return;
  v->v_protocol = arrived;
}

thread_local int via_parse_depth = 0;

issize_t parseVia(su_home_t* home, msg_header_t* h, char* s, isize_t slen) {
  // sip_via_d parses "a, b, c" by calling the class's parser for b and c: only the outermost
  // call holds the first value of the line.
  ++via_parse_depth;
  issize_t rc = sip_via_d(home, h, s, slen);
  --via_parse_depth;
  if (rc >= 0 && via_parse_depth == 0) {
    msg_t* msg = messageOf(home);
    sip_t* sip = msg ? sip_object(msg) : nullptr;
    if (sip != nullptr && sip->sip_via == nullptr)
      amendTopVia(msg, reinterpret_cast<sip_via_t*>(h));
  }
  h->sh_class = sip_via_class;
  return rc;
}

// A request on a stream must carry Content-Length (RFC 3261 18.3, 20.14): without it the body's
// end cannot be told. sofia then waits for bytes that never come (or, with bytes after the
// blank line, fails the stream silently). The request is completed at its blank line instead
// and marked as an error, so NTA answers 400 and the connection, whose framing is lost, closes.
issize_t extractBody(msg_t* msg, msg_pub_t* pub, char b[], isize_t bsiz, int eos) {
  auto* sip = reinterpret_cast<sip_t*>(pub);
  su_addrinfo_t* ai = msg_addrinfo(msg);
  bool stream = ai != nullptr && ai->ai_protocol == IPPROTO_TCP;
  if (!stream || sip->sip_request == nullptr || sip->sip_content_length != nullptr)
    return sip_extract_body(msg, sip, b, bsiz, eos);
  issize_t m = 0;
  if (!(sip->sip_flags & MSG_FLG_BODY)) {
    m = msg_extract_separator(msg, pub, b, bsiz, eos);
    if (m <= 0) return m;
    sip->sip_flags |= MSG_FLG_BODY;
  }
  sip->sip_flags |= MSG_FLG_COMPLETE | MSG_FLG_ERROR;
  return m;
}

// Puts `ours` ahead of `standard` in the name lookup, keeping `standard` reachable by pointer:
// msg_find_hclass takes the first name match along the probe sequence, while msg_hclass_offset
// (inserting a header sofia made itself) looks for the class pointer along the same sequence.
bool shadowHeader(msg_mclass_t* mc, msg_hclass_t* standard, msg_hclass_t* ours) {
  int n = mc->mc_hash_size;
  if (mc->mc_hash_used + 1 >= n) return false;
  int slot = standard->hc_hash % n;
  while (mc->mc_hash[slot].hr_class != nullptr && mc->mc_hash[slot].hr_class != standard)
    slot = (slot + 1) % n;
  if (mc->mc_hash[slot].hr_class != standard) return false;
  int free_slot = (slot + 1) % n;
  while (mc->mc_hash[free_slot].hr_class != nullptr) free_slot = (free_slot + 1) % n;
  mc->mc_hash[free_slot] = mc->mc_hash[slot];
  mc->mc_hash[slot].hr_class = ours;
  mc->mc_hash_used++;
  if (mc->mc_short != nullptr && standard->hc_short[0] != '\0') {
    auto* shorts = const_cast<msg_href_t*>(mc->mc_short);
    int c = standard->hc_short[0] - 'a';
    if (c >= 0 && c < 26 && shorts[c].hr_class == standard) shorts[c].hr_class = ours;
  }
  return true;
}

msg_mclass_t* build() {
  msg_mclass_t* mc = msg_mclass_clone(sip_default_mclass(), 0, 0);
  if (mc == nullptr) return nullptr;
  via_class = *sip_via_class;
  via_class.hc_parse = parseVia;
  cseq_class = *sip_cseq_class;
  cseq_class.hc_parse = parseCSeq;
  request_class = *sip_request_class;
  request_class.hc_parse = parseRequestLine;
  if (!shadowHeader(mc, sip_via_class, &via_class) ||
      !shadowHeader(mc, sip_cseq_class, &cseq_class)) {
    std::free(mc);
    return nullptr;
  }
  mc->mc_extract_body = extractBody;
  // The request line has no name: it is looked up by hc_hash, which our copy shares.
  mc->mc_request[0].hr_class = &request_class;
  return mc;
}

}  // namespace

msg_mclass_t const* ingressMessageClass() {
  static std::once_flag once;
  std::call_once(once, [] { ingress_class = build(); });
  return ingress_class ? ingress_class : sip_default_mclass();
}

msg_t* parseAsReceived(msg_mclass_t const* mclass, const char* data, std::size_t size,
                       const std::string& transport, const std::string& source_ip,
                       unsigned short source_port) {
  if (size == 0) return nullptr;
  msg_t* msg = msg_create(mclass, 0);
  if (msg == nullptr) return nullptr;
  su_addrinfo_t* ai = msg_addrinfo(msg);
  bool tcp = transport == "tcp";
  ai->ai_protocol = tcp ? IPPROTO_TCP : IPPROTO_UDP;
  ai->ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
  su_sockaddr_t from{};
  socklen_t from_len = 0;
  if (inet_pton(AF_INET, source_ip.c_str(), &from.su_sin.sin_addr) == 1) {
    from.su_family = AF_INET;
    from_len = sizeof(from.su_sin);
  } else if (inet_pton(AF_INET6, source_ip.c_str(), &from.su_sin6.sin6_addr) == 1) {
    from.su_family = AF_INET6;
    from_len = sizeof(from.su_sin6);
  }
  from.su_port = htons(source_port);
  if (from_len > 0) msg_set_address(msg, &from, from_len);
  ai->ai_family = from.su_family;
  msg_iovec_t iovec[2];
  if (msg_recv_iovec(msg, iovec, 2, size, 1) < 0 || iovec[0].mv_len != size) {
    msg_destroy(msg);
    return nullptr;
  }
  std::memcpy(iovec[0].mv_base, data, size);
  msg_recv_commit(msg, size, 1);
  if (msg_extract(msg) < 0) msg_set_flags(msg, MSG_FLG_ERROR);
  return msg;
}

void setTlsListening(bool listening) { tls_listening.store(listening, std::memory_order_relaxed); }

}  // namespace callmesh::ingress
