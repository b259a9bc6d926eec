#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::ingress {

// DNS records as RFC 3263 reads them, each with its TTL (seconds).
struct NaptrRecord {
  int order = 0;
  int preference = 0;
  std::string flags;        // "s": the replacement is an SRV name
  std::string service;      // "SIP+D2U", "SIP+D2T", "SIPS+D2T", ...
  std::string replacement;  // the SRV name to query next
  uint32_t ttl = 0;
};
struct SrvRecord {
  int priority = 0;
  int weight = 0;
  int port = 0;
  std::string target;  // a host name ("." = no service)
  uint32_t ttl = 0;
};
struct AddressRecord {
  std::string address;  // numeric IPv4 or IPv6 (from the wire, never a name)
  uint32_t ttl = 0;
};

// What one DNS query brought back. `found` false with `error` empty: the name has no records of
// that type (NXDOMAIN or NODATA), which is an answer; `error` set: the query itself failed
// (timeout, SERVFAIL, REFUSED, malformed answer), which is not.
template <typename R>
struct DnsAnswer {
  std::vector<R> records;
  std::string error;
};

// The queries RFC 3263 needs. The production one asks a DNS server (libresolv, dns_lookup.h);
// tests give tables.
class DnsLookup {
 public:
  virtual ~DnsLookup() = default;
  virtual DnsAnswer<NaptrRecord> naptr(const std::string& name) = 0;
  virtual DnsAnswer<SrvRecord> srv(const std::string& name) = 0;
  // A and AAAA together: both queried, either may be empty.
  virtual DnsAnswer<AddressRecord> addresses(const std::string& name) = 0;
};

// A gateway name from configuration (ingress.gateway_sets uri with a host that is not numeric).
struct GatewayName {
  std::string host;  // the domain of the uri
  int port = 0;      // 0: none in the uri, so NAPTR and SRV are asked (RFC 3263 4.1, 4.2)
  // "" (any: NAPTR decides, else UDP then TCP), "udp", "tcp" or "tls" (a sips: gateway: only
  // SIPS+D2T and _sips._tcp, port 5061 by default)
  std::string transport;
  int max_targets = 4;  // addresses kept at most (the set's slots for this name)
};

// One address a gateway name resolved to, ready to be a member of the set.
struct ResolvedTarget {
  std::string address;  // numeric
  int port = 5060;
  std::string transport;  // "udp", "tcp" or "tls"
  int priority = 0;       // SRV priority (0 when no SRV was used)
  int weight = 1;         // SRV weight (1 when no SRV was used)
  // Over TLS, the name the peer's certificate must carry: the configured name itself, the SIP
  // domain the gateway's URI names (RFC 5922 section 4), never a name DNS handed back (an SRV
  // target, a NAPTR replacement). Empty for UDP and TCP (and may be left out of an initialiser).
  std::string server_name = {};
  bool operator==(const ResolvedTarget&) const = default;
};

struct Resolution {
  std::vector<ResolvedTarget> targets;  // in preference order, at most max_targets
  uint32_t ttl = 0;                     // the smallest TTL of every record used
};

// The SRV names to query for `name`, in the order to try them, with each one's transport:
// the NAPTR records whose service is SIP+D2U (udp), SIP+D2T (tcp) or SIPS+D2T (tls) with flag
// "s", by order then preference, limited to the configured transport; when there is no usable
// NAPTR, _sip._udp and _sip._tcp (or the configured transport's alone; _sips._tcp for tls).
// SIPS+D2T is taken for a gateway configured as TLS only: a sip: gateway is never moved onto TLS
// by DNS, and a sips: one never off it (RFC 3263 4.1).
struct SrvQuery {
  std::string name;
  std::string transport;
};
std::vector<SrvQuery> srvQueriesFor(const std::vector<NaptrRecord>& naptrs,
                                    const GatewayName& name);

// The targets of SRV records whose host addresses are known: ordered by priority, then weight
// (heavier first: the set's weighted draw still shares calls), then as listed; a "." target
// (RFC 2782: no service) dropped; at most `max_targets`. Pure.
struct SrvWithAddresses {
  SrvRecord srv;
  std::vector<AddressRecord> addresses;
};
Resolution targetsFromSrv(const std::vector<SrvWithAddresses>& srvs, const std::string& transport,
                          int max_targets);

// RFC 3263 4.1-4.2 for one configured name: a numeric host is never given here; a name with a
// port is only A/AAAA; without one NAPTR, then SRV (the first query name with records), then
// A/AAAA of each SRV target; no NAPTR and no SRV: A/AAAA on port 5060 (5061 for TLS). An error
// when a query fails or nothing resolves; the caller keeps its last good answer. TLS targets
// carry the configured name as their server_name.
Result<Resolution> resolveGateway(DnsLookup& dns, const GatewayName& name);

}  // namespace callmesh::ingress
