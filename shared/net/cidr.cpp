#include "shared/net/cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace callmesh::net {

bool parseIp(const std::string& text, IpBytes& out) {
  out.fill(0);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return true;
  }
  std::string bare = text;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  in6_addr v6{};
  if (inet_pton(AF_INET6, bare.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return true;
  }
  return false;
}

std::string formatIp(const IpBytes& ip) {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char text[INET6_ADDRSTRLEN] = {};
  if (std::memcmp(ip.data(), kMapped, sizeof(kMapped)) == 0) {
    inet_ntop(AF_INET, ip.data() + 12, text, sizeof(text));
  } else {
    inet_ntop(AF_INET6, ip.data(), text, sizeof(text));
  }
  return text;
}

Result<Cidr> Cidr::parse(const std::string& text) {
  auto slash = text.find('/');
  std::string addr = text.substr(0, slash);
  Cidr c;
  if (!parseIp(addr, c.address))
    return invalidInput("'" + text + "' is not an IP network like 10.0.0.0/8 or 2001:db8::/32");
  bool v4 = addr.find(':') == std::string::npos;
  int max_bits = v4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string::npos) {
    std::string digits = text.substr(slash + 1);
    bool numeric =
        !digits.empty() && digits.size() <= 3 &&
        std::all_of(digits.begin(), digits.end(), [](char d) { return d >= '0' && d <= '9'; });
    if (!numeric) return invalidInput("'" + text + "' has no prefix length after /");
    bits = std::stoi(digits);
    if (bits > max_bits)
      return invalidInput("'" + text + "': prefix length " + digits + " is over " +
                          std::to_string(max_bits));
  }
  c.prefix_bits = v4 ? bits + 96 : bits;
  return c;
}

bool Cidr::contains(const IpBytes& ip) const {
  int bits = prefix_bits;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((ip[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

Result<CidrSet> CidrSet::parse(const std::vector<std::string>& cidrs, const std::string& field) {
  CidrSet set;
  for (const auto& text : cidrs) {
    auto c = Cidr::parse(text);
    if (!c.ok()) return invalidInput(c.error().message, field);
    set.networks_.push_back(c.value());
  }
  return set;
}

bool CidrSet::contains(const IpBytes& ip) const {
  return std::any_of(networks_.begin(), networks_.end(),
                     [&](const Cidr& c) { return c.contains(ip); });
}

bool CidrSet::contains(const std::string& ip) const {
  IpBytes addr{};
  return parseIp(ip, addr) && contains(addr);
}

}  // namespace callmesh::net
