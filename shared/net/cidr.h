#pragma once

// IP networks written as CIDRs ("10.0.0.0/8", "2001:db8::/32", or a bare address), shared by the
// ingress's trusted gateways and identity trust domain and the notification API's trusted
// proxies. One parser, strict: a typo such as "10.0.0.l/8", a host name or "/8x" is an error,
// never a silently smaller list.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::net {

// An address in 128-bit form: IPv6 as is, IPv4 as ::ffff:a.b.c.d (so one network type holds
// both, and a dual-stack socket's ::ffff:10.0.0.1 matches 10.0.0.0/8).
using IpBytes = std::array<uint8_t, 16>;

// Parses "10.0.0.1", "::1" or "[::1]" into IpBytes; false when it is none of them.
bool parseIp(const std::string& text, IpBytes& out);
// The canonical text of an address: dotted quad for IPv4 (mapped ones included), RFC 5952 for
// IPv6. Tables keyed by address use it so that one host cannot appear under several spellings.
std::string formatIp(const IpBytes& ip);

// One network, IPv4 or IPv6.
struct Cidr {
  IpBytes address{};
  int prefix_bits = 0;  // over the 128-bit form

  // The error names `text`; the caller adds which setting it came from.
  static Result<Cidr> parse(const std::string& text);
  bool contains(const IpBytes& ip) const;
};

// A list of networks, e.g. a config key's value.
class CidrSet {
 public:
  // Every entry must parse; the first that does not is the error, naming `field` and the entry.
  static Result<CidrSet> parse(const std::vector<std::string>& cidrs, const std::string& field);

  bool contains(const IpBytes& ip) const;
  // False for text that is not an address.
  bool contains(const std::string& ip) const;
  bool empty() const { return networks_.empty(); }

 private:
  std::vector<Cidr> networks_;
};

}  // namespace callmesh::net
