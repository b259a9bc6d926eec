#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace callmesh::config {

class YamlMap;

// SIP over TLS on the ingress (issue 21 item 1; services/ingress/README.md "SIP over TLS").
// Certificate, key and CA come from files (a Kubernetes Secret mount) and are re-read when they
// change, without a restart.
struct TlsSettings {
  int port = 0;                      // tls_port: the sips: listener; 0 = no TLS
  std::string cert_file;             // tls_cert_file: PEM chain, leaf first (tls.crt)
  std::string key_file;              // tls_key_file: PEM private key (tls.key)
  std::string ca_file;               // tls_ca_file: CAs trusted for peers' certificates (ca.crt)
  std::string client_cert = "none";  // tls_client_cert: none | optional | required (mutual TLS)
  bool verify_server = true;         // tls_verify_server: outbound legs check the peer's name
  int reload_check_ms = 1000;        // tls_reload_check_ms: how often the files' stamps are read
};

// Bounds on TCP and TLS connections into the ingress (both listeners): an outsider opening
// connections costs a socket and buffers each, so their number and life are bounded.
struct ConnectionBoundSettings {
  int max_connections = 4096;           // max_connections: inbound TCP+TLS in all
  int max_connections_per_source = 64;  // max_connections_per_source: per peer address
  // first_message_timeout_ms: a connection that has delivered no SIP message this long after it
  // was accepted (the TLS handshake included) is closed.
  int first_message_timeout_ms = 5000;
  int message_timeout_ms = 10000;  // message_timeout_ms: a message begun must end within this
  int idle_timeout_s = 600;        // connection_idle_s: a connection silent this long is closed
};

// An inbound trunk (issue 21 item 4): a carrier or PBX told apart by its addresses or its TLS
// certificate, with its own identity trust and rates.
struct TrunkSettings {
  std::string name;                       // metric label and log name (config only: bounded)
  std::vector<std::string> sources;       // CIDRs
  std::vector<std::string> tls_subjects;  // certificate subjects (SAN DNS/URI or CN) that name it
  bool identity_trusted = false;          // its P-Asserted-Identity is believed (RFC 3325)
  int rate_limit_rps = 5000;              // requests per second, the trunk as a whole
  int rate_limit_burst = 10000;
  int new_call_rps = 100;  // new calls per second, the trunk as a whole
  int new_call_burst = 200;
};

constexpr size_t kMaxTrunks = 256;
constexpr size_t kMaxTrunkEntries = 64;  // sources or subjects per trunk

// Reads the tls_* keys, the connection bounds and `trunks` of the ingress section. The rate
// defaults of a trunk are the ingress-wide ones (rate_limit_rps etc.) read before.
void readTlsSettings(YamlMap& m, const std::string& file_name, TlsSettings& tls);
void readConnectionBounds(YamlMap& m, ConnectionBoundSettings& bounds);
void readTrunks(YamlMap& m, const TrunkSettings& defaults, std::vector<TrunkSettings>& trunks);

}  // namespace callmesh::config
