#include "services/ingress/header_policy.h"

#include <algorithm>
#include <cctype>

namespace callmesh::ingress {

namespace {

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool isControlHeader(std::string_view name) {
  constexpr std::string_view kPrefix = "X-Callmesh-";
  return name.size() >= kPrefix.size() &&
         equalsIgnoringCase(name.substr(0, kPrefix.size()), kPrefix);
}

bool isIdentityHeader(std::string_view name) {
  return equalsIgnoringCase(name, "P-Asserted-Identity") ||
         equalsIgnoringCase(name, "P-Preferred-Identity");
}

HeaderFate fateOf(std::string_view name, const HeaderSource& source) {
  if (isControlHeader(name)) return HeaderFate::Remove;
  if (isIdentityHeader(name) && (!source.identity_trusted || source.identity_replaced))
    return HeaderFate::Remove;
  return HeaderFate::Keep;
}

Result<TrustDomain> TrustDomain::create(const std::vector<std::string>& cidrs) {
  auto networks = net::CidrSet::parse(cidrs, "identity_trusted_sources");
  if (!networks.ok()) return networks.error();
  TrustDomain domain;
  domain.networks_ = std::move(networks.value());
  return domain;
}

bool TrustDomain::contains(const std::string& ip) const { return networks_.contains(ip); }

}  // namespace callmesh::ingress
