#include "services/ingress/gateway_selection.h"

#include <algorithm>
#include <map>

namespace callmesh::ingress {

std::vector<size_t> orderGateways(const std::vector<GatewayRank>& gateways, const Draw& draw) {
  std::map<int64_t, std::vector<size_t>> by_priority;
  for (size_t i = 0; i < gateways.size(); ++i) {
    if (gateways[i].up) by_priority[gateways[i].priority].push_back(i);
  }
  std::vector<size_t> order;
  for (auto& [priority, group] : by_priority) {
    std::vector<size_t> weighted, unweighted;
    for (size_t i : group) (gateways[i].weight > 0 ? weighted : unweighted).push_back(i);
    while (!weighted.empty()) {
      uint64_t total = 0;
      for (size_t i : weighted) total += static_cast<uint64_t>(gateways[i].weight);
      uint64_t pick = draw(total) % total;
      size_t chosen = 0;
      for (size_t k = 0; k < weighted.size(); ++k) {
        uint64_t w = static_cast<uint64_t>(gateways[weighted[k]].weight);
        if (pick < w) {
          chosen = k;
          break;
        }
        pick -= w;
      }
      order.push_back(weighted[chosen]);
      weighted.erase(weighted.begin() + static_cast<std::ptrdiff_t>(chosen));
    }
    order.insert(order.end(), unweighted.begin(), unweighted.end());
  }
  return order;
}

namespace {

// Splits sip:<user>@<hostport><rest>; false when the URI has no user part or is not sip:.
bool splitTarget(const std::string& uri, std::string& user, std::string& hostport,
                 std::string& rest) {
  if (uri.rfind("sip:", 0) != 0) return false;
  size_t end = uri.find_first_of(";?", 4);
  std::string head = uri.substr(4, end == std::string::npos ? std::string::npos : end - 4);
  rest = end == std::string::npos ? std::string() : uri.substr(end);
  size_t at = head.rfind('@');
  if (at == std::string::npos || at == 0) return false;
  user = head.substr(0, at);
  hostport = head.substr(at + 1);
  return !hostport.empty();
}

bool setNameShaped(const std::string& host) {
  if (host.empty() || host.size() > 32) return false;
  bool letter = false;
  for (char c : host) {
    bool digit = c >= '0' && c <= '9';
    if (!digit && !(c >= 'a' && c <= 'z') && c != '-') return false;
    letter = letter || !digit;
  }
  return letter;
}

// The target's parameters without any transport= (the gateway's own transport decides).
std::string withoutTransport(const std::string& rest) {
  std::string params = rest, headers;
  if (auto q = rest.find('?'); q != std::string::npos) {
    params = rest.substr(0, q);
    headers = rest.substr(q);
  }
  std::string kept;
  size_t pos = 0;
  while (pos < params.size()) {
    size_t next = params.find(';', pos + 1);
    std::string p = params.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    std::string lower = p;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (lower.rfind(";transport=", 0) != 0) kept += p;
    if (next == std::string::npos) break;
    pos = next;
  }
  return kept + headers;
}

}  // namespace

std::string gatewaySetOf(const std::string& target_uri) {
  std::string user, hostport, rest;
  if (!splitTarget(target_uri, user, hostport, rest)) return "";
  return setNameShaped(hostport) ? hostport : "";
}

std::string targetThroughGateway(const std::string& target_uri, const std::string& host_port,
                                 const std::string& transport) {
  std::string user, hostport, rest;
  if (!splitTarget(target_uri, user, hostport, rest)) return target_uri;
  std::string params = withoutTransport(rest), headers;
  if (auto q = params.find('?'); q != std::string::npos) {
    headers = params.substr(q);
    params = params.substr(0, q);
  }
  if (!transport.empty()) params += ";transport=" + transport;
  return "sip:" + user + "@" + host_port + params + headers;
}

std::string gatewayRouteUri(const std::string& host_port, const std::string& transport,
                            const std::string& server_name) {
  std::string plain = "sip:" + host_port + (transport.empty() ? "" : ";transport=" + transport);
  auto colon = host_port.rfind(':');
  if (server_name.empty() || colon == std::string::npos) return plain;
  return "sip:" + server_name + host_port.substr(colon) +
         ";transport=tls;maddr=" + host_port.substr(0, colon);
}

}  // namespace callmesh::ingress
