#pragma once

// The ingress's own TCP/TLS sockets, read from /proc/self/fd. sofia-sip keeps its listeners and
// inbound connections to itself; this is how the connection bounds find them: the listeners to
// gate at accept (accept_gate.cpp), the open connections for the once-a-second sweep
// (tls_transport.cpp).
#include <string>
#include <vector>

#include "services/ingress/connection_bounds.h"

namespace callmesh::ingress {

// The listening stream sockets of this process bound to one of `ports` (sofia's SIP listeners).
std::vector<int> listeningSockets(const std::vector<int>& ports);

// Inbound stream connections of this process: sockets whose local port is one of `ports` and
// that have a peer (listening sockets have none; outbound connections have ephemeral ports).
std::vector<OpenConnection> inboundConnections(const std::vector<int>& ports);

// The numeric address of `fd`'s peer; empty when it has none.
std::string peerAddress(int fd);

}  // namespace callmesh::ingress
