#pragma once

#include <cstddef>
#include <string>

#include "services/ingress/sofia.h"

namespace callmesh::ingress {

// The SIP message class the ingress gives NTA (NTATAG_MCLASS): sofia's own, with four places
// where sofia's parser or NTA would turn away requests RFC 3261 and RFC 4475 say to accept.
//
//  1. Top Via transport. NTA drops, without any answer, a request whose top Via names another
//     transport than the socket it came on (a "SIP/2.0/UDP" Via over TCP: RFC 4475 3.1.1.1 and
//     most of its messages). RFC 3261 18.2.2 answers over the connection or to the source address
//     anyway, and Kamailio accepts these. The top Via of a received request is recorded with the
//     transport it really arrived on; the lower Vias are not touched.
//  2. Method tokens. sofia's method scanner stops at "`" and "+", both legal in RFC 3261's token
//     (25.1). Request lines and CSeq values with such a method parse as extension methods with
//     the exact name (RFC 4475 3.1.1.2), so they get a proper answer instead of "garbage".
//  3. Unsupported SIP version. NTA answers 505 before it stamps received/rport on the Via, so the
//     505 would go to the host the Via names, which the ingress never resolves (RFC 4475
//     3.1.2.16). For those requests the top Via gets received/rport here, so the 505 goes back
//     to the source like every other answer.
//  4. A request on TCP without Content-Length. sofia waits for the rest of a body it cannot
//     delimit, and the request is never answered. RFC 3261 18.3 and 20.14 make Content-Length
//     mandatory on streams: the request ends at its blank line, marked as an error, so NTA
//     answers 400 and the connection (its framing lost) is closed.
//
// Each parsed header is handed back with sofia's standard header class, so the rest of sofia
// (and the ingress) sees ordinary headers. Created once; lives for the process.
msg_mclass_t const* ingressMessageClass();

// Whether this process listens for SIP over TLS (set once, by SipProxy::startTls). The parser
// cannot tell a TLS stream from a plain TCP one (the socket says TCP for both), so it keeps a
// "SIP/2.0/TLS" top Via on a stream only when TLS is listening, for NTA to check against the
// connection. Without a TLS listener no request can have come over TLS: the Via is recorded as
// TCP like any other mismatch (item 1; RFC 4475 3.3.1's bext01 sends a TLS Via over TCP and
// must get its 420).
void setTlsListening(bool listening);

// A received message as NTA would get it: parsed with `mclass`, with the receiving socket's
// protocol and the source address set first. For tests and the fuzz target; nullptr when the
// bytes do not make a message. `transport` is "udp" or "tcp".
msg_t* parseAsReceived(msg_mclass_t const* mclass, const char* data, std::size_t size,
                       const std::string& transport, const std::string& source_ip,
                       unsigned short source_port);

}  // namespace callmesh::ingress
