#include "shared/transport/endpoint_resolution.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

namespace callmesh::transport {

std::optional<TcpEndpoint> parseTcpEndpoint(const std::string& endpoint) {
  constexpr std::string_view kScheme = "tcp://";
  if (endpoint.rfind(kScheme, 0) != 0) return std::nullopt;
  std::string rest = endpoint.substr(kScheme.size());
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= rest.size()) return std::nullopt;
  TcpEndpoint e{rest.substr(0, colon), rest.substr(colon + 1)};
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  if (!std::all_of(e.port.begin(), e.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;  // "*" and service names are for bind, not for our clients
  }
  return e;
}

std::string formatTcpEndpoint(const std::string& address, const std::string& port) {
  bool v6 = address.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + address + "]" : address) + ":" + port;
}

bool isNumericAddress(const std::string& host) {
  unsigned char raw[16];
  return inet_pton(AF_INET, host.c_str(), raw) == 1 || inet_pton(AF_INET6, host.c_str(), raw) == 1;
}

bool hasNames(const std::vector<std::string>& configured) {
  return std::any_of(configured.begin(), configured.end(), [](const std::string& e) {
    auto tcp = parseTcpEndpoint(e);
    return tcp && !isNumericAddress(tcp->host);
  });
}

ResolvedEndpoints resolveEndpoints(const std::vector<std::string>& configured,
                                   const Resolver& resolve, const ResolvedEndpoints& previous) {
  ResolvedEndpoints out;
  for (const auto& e : configured) {
    auto tcp = parseTcpEndpoint(e);
    if (!tcp || isNumericAddress(tcp->host)) {
      out[e] = {e};
      continue;
    }
    auto addresses = resolve(tcp->host);
    if (!addresses.ok()) {
      auto kept = previous.find(e);
      out[e] = kept == previous.end() ? std::vector<std::string>{} : kept->second;
      continue;
    }
    std::vector<std::string> concrete;
    for (const auto& a : addresses.value()) {
      if (concrete.size() >= kMaxAddressesPerName) break;
      if (!isNumericAddress(a)) continue;  // a resolver answers addresses; anything else is noise
      std::string c = formatTcpEndpoint(a, tcp->port);
      if (std::find(concrete.begin(), concrete.end(), c) == concrete.end()) concrete.push_back(c);
    }
    out[e] = std::move(concrete);
  }
  return out;
}

std::vector<std::string> flatten(const ResolvedEndpoints& resolved) {
  std::set<std::string> all;
  for (const auto& [configured, concrete] : resolved) all.insert(concrete.begin(), concrete.end());
  return {all.begin(), all.end()};
}

EndpointChanges diffEndpoints(const std::vector<std::string>& current,
                              const std::vector<std::string>& wanted) {
  EndpointChanges changes;
  std::set<std::string> now(current.begin(), current.end());
  std::set<std::string> next(wanted.begin(), wanted.end());
  std::set_difference(next.begin(), next.end(), now.begin(), now.end(),
                      std::back_inserter(changes.connect));
  std::set_difference(now.begin(), now.end(), next.begin(), next.end(),
                      std::back_inserter(changes.disconnect));
  return changes;
}

Result<std::vector<std::string>> systemResolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0) return Error{ErrorKind::Disconnected, gai_strerror(rc), "resolving " + host};
  std::vector<std::string> out;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {0};
    const void* raw =
        a->ai_family == AF_INET
            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
        inet_ntop(a->ai_family, raw, text, sizeof(text)) == nullptr) {
      continue;
    }
    if (std::find(out.begin(), out.end(), text) == out.end()) out.emplace_back(text);
  }
  freeaddrinfo(found);
  return out;
}

}  // namespace callmesh::transport
