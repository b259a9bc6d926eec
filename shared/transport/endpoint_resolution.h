#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::transport {

// Endpoint lists and names (issue 18 item 4): an `endpoint` of cluster.yaml may be several
// addresses, or a DNS name standing for every replica (a Kubernetes headless Service answers
// with one address per ready pod). A client connects to each address; its DEALER then spreads
// requests over them. The rules are pure here; EndpointWatcher (endpoint_watcher.h) runs them.

// "tcp://host:port" split; nullopt for ipc://, inproc:// and anything malformed.
struct TcpEndpoint {
  std::string host;  // without IPv6 brackets
  std::string port;
};
std::optional<TcpEndpoint> parseTcpEndpoint(const std::string& endpoint);
// tcp://host:port, bracketing an IPv6 address.
std::string formatTcpEndpoint(const std::string& address, const std::string& port);
// A literal IPv4 or IPv6 address (nothing to resolve).
bool isNumericAddress(const std::string& host);

// host name -> its addresses, or an error (NXDOMAIN, DNS down).
using Resolver = std::function<Result<std::vector<std::string>>(const std::string& host)>;

// At most this many addresses are taken from one name: each is a connection per client socket,
// and a DNS answer is input from the network.
inline constexpr size_t kMaxAddressesPerName = 64;

// Each configured endpoint -> the concrete endpoints it stands for now. Literal addresses, ipc://
// and inproc:// stand for themselves. A name whose lookup fails keeps what it resolved to in
// `previous` (a DNS hiccup must not disconnect every replica); a name that resolves to nothing
// new and had nothing stands for nothing until it does.
using ResolvedEndpoints = std::map<std::string, std::vector<std::string>>;
ResolvedEndpoints resolveEndpoints(const std::vector<std::string>& configured,
                                   const Resolver& resolve, const ResolvedEndpoints& previous);
// Every concrete endpoint once, sorted.
std::vector<std::string> flatten(const ResolvedEndpoints& resolved);
// True when some configured endpoint is a name (worth resolving again periodically).
bool hasNames(const std::vector<std::string>& configured);

// What a socket connected to `current` must do to be connected to `wanted` instead.
struct EndpointChanges {
  std::vector<std::string> connect;
  std::vector<std::string> disconnect;
};
EndpointChanges diffEndpoints(const std::vector<std::string>& current,
                              const std::vector<std::string>& wanted);

// getaddrinfo(host), TCP, every family; each address once, in the order returned.
Result<std::vector<std::string>> systemResolve(const std::string& host);

}  // namespace callmesh::transport
