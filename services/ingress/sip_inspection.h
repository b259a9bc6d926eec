#pragma once

#include <string>
#include <vector>

#include "services/ingress/sofia.h"

namespace callmesh::ingress {

// What the ingress reads out of a parsed SIP message. Every function takes whatever a hostile
// sender can put in a message and must neither crash nor read past it: they are the ingress's
// code over raw input, and tools/fuzz/sip_message_fuzz.cpp drives them with arbitrary bytes.

// "+15550100;npdi" -> "+15550100": the user part of a URI without user parameters.
std::string userPart(const url_t* url);
// The transport=... parameter of a URI, lower-case; when absent "tls" for sips:, else "udp".
std::string transportOfUri(const std::string& uri);
// "sip:127.0.0.1:5061;transport=udp" -> "127.0.0.1" ("[::1]" -> "::1").
std::string hostOfTarget(const std::string& target);
// A header value as text (without the name); empty when it does not fit 2 KB.
std::string headerValue(const sip_header_t* h);
// A URL as text; empty when it does not fit 1 KB.
std::string urlText(const url_t* url);
// Only printable ASCII of `v`: what we allow into headers we write.
std::string headerSafe(const std::string& v);
// Numbers the call already passed through: X-Callmesh-Path items and Diversion user parts.
std::vector<std::string> numbersOnPath(const sip_t* sip);
// False when an Accept header rules out application/sdp.
bool acceptsSdp(const sip_t* sip);

}  // namespace callmesh::ingress
