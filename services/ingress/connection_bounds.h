#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "shared/config/tls_settings.h"

namespace callmesh::ingress {

// An inbound TCP or TLS connection as the sweep sees it (connection_sweep.cpp lists them).
struct OpenConnection {
  int fd = -1;
  std::string peer_ip;
  int peer_port = 0;
};

// Bounds on inbound TCP and TLS connections, which sofia-sip does not bound itself: it accepts
// every connection and keeps it until it has been idle for TPTAG_IDLE, and a connection that
// never finishes its TLS handshake (or never sends a byte) never starts that idle timer. Pure:
// the sofia side lists the open connections once a second, reports which ones delivered a SIP
// message, and closes what this returns.
//
//  - first message: a connection that has delivered no SIP message within
//    first_message_timeout_ms of being first seen (TLS handshake included) is cut;
//  - per source: past max_connections_per_source from one address, the newest are cut, those
//    that delivered nothing first (a carrier's working connections are the older ones);
//  - total: past max_connections, the same order across all sources.
// The table holds only connections open at the last sweep (plus those delivering since), so it is
// bounded by what the OS lets the process hold open.
class ConnectionBounds {
 public:
  explicit ConnectionBounds(const config::ConnectionBoundSettings& settings)
      : settings_(settings) {}

  // A SIP message arrived on the connection from peer_ip:peer_port.
  void delivered(const std::string& peer_ip, int peer_port, int64_t now_ms);

  struct Cut {
    int fd = -1;
    std::string peer;         // ip:port, for the log
    const char* reason = "";  // first_message_timeout, per_source, total
  };
  // Given every inbound connection open now: those to close.
  std::vector<Cut> sweep(const std::vector<OpenConnection>& open, int64_t now_ms);

  size_t tracked() const { return seen_.size(); }

 private:
  struct Seen {
    int64_t first_ms = 0;
    bool delivered = false;
  };
  config::ConnectionBoundSettings settings_;
  std::unordered_map<std::string, Seen> seen_;  // by ip:port
};

}  // namespace callmesh::ingress
