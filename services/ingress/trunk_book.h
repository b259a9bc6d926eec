#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "services/ingress/source_guard.h"
#include "shared/base/result.h"
#include "shared/config/tls_settings.h"
#include "shared/net/cidr.h"

namespace callmesh::ingress {

// One inbound trunk (cluster.yaml `ingress.trunks`, issue 21 item 4), ready to match.
struct Trunk {
  std::string name;
  size_t index = 0;    // its place in the book (and in TrunkMetrics)
  std::string bucket;  // its SourceGuard bucket: "trunk:<name>", shared by all its addresses
  net::CidrSet sources;
  std::vector<std::string> tls_subjects;  // lower-cased
  bool identity_trusted = false;
  SourceGuard::Rates rates;
};

// Tells which trunk a request came from. Pure: the sofia side hands it the source address and,
// for a TLS connection whose peer certificate verified against tls_ca_file, the certificate's
// subjects (SAN DNS/URI names and the CN, as sofia lists them).
//
// A certificate names a trunk before an address does: a carrier reaching us over TLS from
// addresses that change (cloud egress) is known by its certificate alone, and a trunk sharing a
// NAT address with another is still told apart. Subjects of an unverified certificate are never
// passed in: anyone can write any name into a self-made certificate.
class TrunkBook {
 public:
  // The CIDRs were validated with the config; an error here names the trunk.
  static Result<TrunkBook> create(const std::vector<config::TrunkSettings>& trunks);

  // The first trunk one of whose tls_subjects is among `verified_subjects` (case-insensitive),
  // else the first whose sources contain `ip`; nullptr when none.
  const Trunk* identify(const std::string& ip,
                        const std::vector<std::string>& verified_subjects) const;
  bool empty() const { return trunks_.empty(); }
  const std::vector<Trunk>& trunks() const { return trunks_; }
  bool anyByCertificate() const { return by_certificate_; }

 private:
  std::vector<Trunk> trunks_;
  bool by_certificate_ = false;
};

}  // namespace callmesh::ingress
