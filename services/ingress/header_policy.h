#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shared/base/result.h"
#include "shared/net/cidr.h"

namespace callmesh::ingress {

// Which headers of a message the ingress relays may pass it (issue 16, item 3). Pure: the sofia
// side (sip_forwarding.cpp, stripArrivedHeaders) walks a message's headers and asks this.
//
//  - `X-Callmesh-*` are the cluster's control headers (README "What reaches the gateway on each
//    leg"): whatever arrives is removed, requests and responses alike; only our own are added
//    (addLegHeaders). X-Callmesh-Path is read for loop detection before the copy is stripped.
//  - `P-Asserted-Identity` / `P-Preferred-Identity` (RFC 3325) are believed only from the trust
//    domain (`ingress.identity_trusted_sources`, the carrier trunks); from anyone else they are
//    removed, and when a rule sets the caller ID ours replaces whatever came.
struct HeaderSource {
  bool identity_trusted = false;   // the sender is in the RFC 3325 trust domain
  bool identity_replaced = false;  // we write our own P-Asserted-Identity on this message
};

enum class HeaderFate { Keep, Remove };

HeaderFate fateOf(std::string_view header_name, const HeaderSource& source);

bool isControlHeader(std::string_view header_name);   // X-Callmesh-*
bool isIdentityHeader(std::string_view header_name);  // P-Asserted-Identity, P-Preferred-Identity

// The RFC 3325 trust domain: the networks whose identity headers the ingress believes. Empty
// (the default) trusts nobody.
class TrustDomain {
 public:
  static Result<TrustDomain> create(const std::vector<std::string>& cidrs);
  bool contains(const std::string& ip) const;
  bool empty() const { return networks_.empty(); }

 private:
  net::CidrSet networks_;
};

}  // namespace callmesh::ingress
