#pragma once

#include <string>

#include "services/ingress/sofia.h"

namespace callmesh::ingress {

// A message's SDP body: the payload when Content-Type is application/sdp (or absent, as RFC 3261
// allows for a body whose type the dialog implies); "" otherwise. Multipart bodies are not read.
std::string sdpBody(const sip_t* sip);

// Replaces the message's body with `sdp` (Content-Type application/sdp, Content-Length updated).
// False when sofia cannot allocate: the message is then unchanged.
bool replaceSdpBody(msg_t* msg, const std::string& sdp);

}  // namespace callmesh::ingress
