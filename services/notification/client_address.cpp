#include "services/notification/client_address.h"

namespace callmesh::notification {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "10.0.0.1", "10.0.0.1:5060" (some load balancers add the port), "2001:db8::1" or
// "[2001:db8::1]:443": the address alone.
std::string_view withoutPort(std::string_view hop) {
  if (!hop.empty() && hop.front() == '[') {
    auto close = hop.find(']');
    return close == std::string_view::npos ? hop : hop.substr(1, close - 1);
  }
  auto colon = hop.find(':');
  if (colon != std::string_view::npos && hop.find(':', colon + 1) == std::string_view::npos)
    return hop.substr(0, colon);  // one colon: IPv4 with a port (IPv6 has at least two)
  return hop;
}

// The hops of every header, left to right; at most the last kMaxForwardedHops.
std::vector<std::string_view> hopsOf(const std::vector<std::string_view>& headers) {
  std::vector<std::string_view> hops;
  for (std::string_view value : headers) {
    while (true) {
      auto comma = value.find(',');
      hops.push_back(trim(value.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  if (hops.size() > kMaxForwardedHops)
    hops.erase(hops.begin(), hops.end() - static_cast<std::ptrdiff_t>(kMaxForwardedHops));
  return hops;
}

}  // namespace

std::string clientAddress(const std::string& peer,
                          const std::vector<std::string_view>& forwarded_for,
                          const net::CidrSet& trusted_proxies) {
  net::IpBytes current{};
  if (!net::parseIp(peer, current)) return peer;
  if (forwarded_for.empty() || !trusted_proxies.contains(current)) return net::formatIp(current);
  auto hops = hopsOf(forwarded_for);
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    net::IpBytes addr{};
    if (!net::parseIp(std::string(withoutPort(*hop)), addr)) break;
    current = addr;
    if (!trusted_proxies.contains(addr)) break;
  }
  return net::formatIp(current);
}

}  // namespace callmesh::notification
