#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/ingress/connection_bounds.h"
#include "shared/config/tls_settings.h"

namespace callmesh::ingress {

// The inbound TCP and TLS connections open now, counted where they are accepted, so that
// max_connections and max_connections_per_source hold at every moment: a burst of thousands of
// connections inside one second (between two sweeps of ConnectionBounds) cannot pass the bounds.
// Pure: AcceptGate feeds it from the accept() and close() calls of sofia's listeners.
class AcceptLedger {
 public:
  explicit AcceptLedger(const config::ConnectionBoundSettings& settings) : settings_(settings) {}

  // A connection just accepted from `peer_ip` as `fd`: nullptr when it may stay (it is counted
  // from now on), else why it must be closed at once ("per_source" or "total", the reasons of
  // connections_cut_total). A refused one is not counted.
  const char* admit(int fd, const std::string& peer_ip);
  // `fd` is being closed (a no-op for a descriptor the ledger does not hold).
  void closed(int fd);
  // Every inbound connection open now, as the once-a-second sweep lists them: the ledger takes
  // this as the truth, forgetting any connection closed behind its back.
  void reconcile(const std::vector<OpenConnection>& open);

  bool holds(int fd) const { return by_fd_.count(fd) != 0; }
  size_t open() const { return by_fd_.size(); }
  size_t openFrom(const std::string& peer_ip) const;

 private:
  void count(int fd, const std::string& peer_ip);
  config::ConnectionBoundSettings settings_;
  std::unordered_map<int, std::string> by_fd_;          // open connection -> its source
  std::unordered_map<std::string, size_t> per_source_;  // source -> its open connections
};

// sofia-sip accepts every connection its TCP and TLS listeners are offered (tport_accept calls
// accept() and makes a transport of the socket) and has no hook to refuse one. So the ingress
// interposes accept(), accept4() and close() for the process, as it does getaddrinfo()
// (name_resolution_guard.h): on the listeners given to install() alone, each accepted
// connection goes through the ledger, and one past a bound is reset (SO_LINGER 0) and closed
// before sofia sees it; every other descriptor passes through untouched. close() takes a counted
// connection off the ledger. All of sofia's accepts run on the SIP thread; close() may come from
// any thread, so the ledger is locked.
class AcceptGate {
 public:
  // Called on the accepting thread, outside the lock, for every refused connection.
  using OnRefused = std::function<void(const std::string& peer_ip, const char* reason)>;
  static void install(const std::vector<int>& listen_fds,
                      const config::ConnectionBoundSettings& settings, OnRefused on_refused);
  static void uninstall();
  // The sweep's list of open inbound connections (AcceptLedger::reconcile).
  static void reconcile(const std::vector<OpenConnection>& open);
  static size_t open();
};

// Used by the interposers (accept_gate.cpp).
int gateAccept(int listen_fd, int fd);
void gateClose(int fd);

}  // namespace callmesh::ingress
