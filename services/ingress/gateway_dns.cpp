#include "services/ingress/gateway_dns.h"

#include <algorithm>
#include <cctype>

namespace callmesh::ingress {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The transport a NAPTR service stands for; "" when this ingress cannot use it.
std::string transportOfService(const std::string& service) {
  std::string s = lower(service);
  if (s == "sip+d2u") return "udp";
  if (s == "sip+d2t") return "tcp";
  if (s == "sips+d2t") return "tls";
  return "";
}

std::string withoutTrailingDot(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

}  // namespace

std::vector<SrvQuery> srvQueriesFor(const std::vector<NaptrRecord>& naptrs,
                                    const GatewayName& name) {
  std::vector<const NaptrRecord*> usable;
  for (const auto& n : naptrs) {
    std::string transport = transportOfService(n.service);
    if (transport.empty() || lower(n.flags) != "s" || n.replacement.empty()) continue;
    // A sip: gateway of any transport never takes TLS from DNS, nor a sips: one anything else.
    if (name.transport.empty() ? transport == "tls" : transport != name.transport) continue;
    usable.push_back(&n);
  }
  std::stable_sort(usable.begin(), usable.end(), [](const NaptrRecord* a, const NaptrRecord* b) {
    return a->order != b->order ? a->order < b->order : a->preference < b->preference;
  });
  std::vector<SrvQuery> queries;
  for (const NaptrRecord* n : usable) {
    queries.push_back(SrvQuery{withoutTrailingDot(n->replacement), transportOfService(n->service)});
  }
  if (!queries.empty()) return queries;
  // RFC 3263 4.1: no NAPTR, so SRV for each transport this client supports.
  if (name.transport == "tls") return {SrvQuery{"_sips._tcp." + name.host, "tls"}};
  for (const char* t : {"udp", "tcp"}) {
    if (name.transport.empty() || name.transport == t)
      queries.push_back(SrvQuery{std::string("_sip._") + t + "." + name.host, t});
  }
  return queries;
}

Resolution targetsFromSrv(const std::vector<SrvWithAddresses>& srvs, const std::string& transport,
                          int max_targets) {
  std::vector<const SrvWithAddresses*> order;
  for (const auto& s : srvs) {
    if (s.srv.target.empty() || s.srv.target == ".") continue;  // RFC 2782: no service here
    order.push_back(&s);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const SrvWithAddresses* a, const SrvWithAddresses* b) {
                     if (a->srv.priority != b->srv.priority)
                       return a->srv.priority < b->srv.priority;
                     return a->srv.weight > b->srv.weight;
                   });
  Resolution r;
  bool first = true;
  auto minTtl = [&](uint32_t ttl) {
    r.ttl = first ? ttl : std::min(r.ttl, ttl);
    first = false;
  };
  for (const SrvWithAddresses* s : order) {
    for (const AddressRecord& a : s->addresses) {
      if (static_cast<int>(r.targets.size()) >= max_targets) return r;
      ResolvedTarget t{a.address, s->srv.port, transport, s->srv.priority, s->srv.weight};
      // One address listed by two SRV records is one member (the preferred record's).
      if (std::any_of(r.targets.begin(), r.targets.end(), [&](const ResolvedTarget& o) {
            return o.address == t.address && o.port == t.port;
          }))
        continue;
      minTtl(std::min(s->srv.ttl, a.ttl));
      r.targets.push_back(t);
    }
  }
  return r;
}

namespace {

Result<Resolution> addressesOnly(DnsLookup& dns, const GatewayName& name, int port,
                                 const std::string& transport, uint32_t ttl_cap) {
  DnsAnswer<AddressRecord> a = dns.addresses(name.host);
  if (!a.error.empty())
    return Error{ErrorKind::Timeout, "A/AAAA query failed: " + a.error, name.host};
  SrvWithAddresses only{SrvRecord{0, 1, port, name.host, ttl_cap}, a.records};
  Resolution r = targetsFromSrv({only}, transport, name.max_targets);
  if (r.targets.empty()) return Error{ErrorKind::NotFound, "no A or AAAA record", name.host};
  return r;
}

Result<Resolution> resolveNaptrSrv(DnsLookup& dns, const GatewayName& name) {
  std::string default_transport = name.transport.empty() ? "udp" : name.transport;
  constexpr uint32_t kNoCap = UINT32_MAX;
  if (name.port != 0) return addressesOnly(dns, name, name.port, default_transport, kNoCap);

  DnsAnswer<NaptrRecord> naptr = dns.naptr(name.host);
  if (!naptr.error.empty())
    return Error{ErrorKind::Timeout, "NAPTR query failed: " + naptr.error, name.host};
  uint32_t naptr_ttl = kNoCap;
  for (const auto& n : naptr.records) naptr_ttl = std::min(naptr_ttl, n.ttl);

  std::string failure;
  for (const SrvQuery& q : srvQueriesFor(naptr.records, name)) {
    DnsAnswer<SrvRecord> srv = dns.srv(q.name);
    if (!srv.error.empty()) {
      failure = "SRV query " + q.name + " failed: " + srv.error;
      continue;  // RFC 3263 4.1: try the next NAPTR / transport
    }
    if (srv.records.empty()) continue;
    std::vector<SrvWithAddresses> with;
    for (const SrvRecord& s : srv.records) {
      SrvWithAddresses w{s, {}};
      if (s.target != "." && !s.target.empty()) {
        DnsAnswer<AddressRecord> a = dns.addresses(withoutTrailingDot(s.target));
        if (!a.error.empty()) failure = "A/AAAA query " + s.target + " failed: " + a.error;
        w.addresses = a.records;
      }
      with.push_back(std::move(w));
    }
    Resolution r = targetsFromSrv(with, q.transport, name.max_targets);
    if (!r.targets.empty()) {
      r.ttl = std::min(r.ttl, naptr_ttl);
      return r;
    }
  }
  if (!failure.empty()) return Error{ErrorKind::Timeout, failure, name.host};
  // RFC 3263 4.2: no NAPTR and no SRV: the name's own addresses on the default port.
  return addressesOnly(dns, name, name.transport == "tls" ? 5061 : 5060, default_transport,
                       naptr_ttl);
}

}  // namespace

Result<Resolution> resolveGateway(DnsLookup& dns, const GatewayName& name) {
  Result<Resolution> r = resolveNaptrSrv(dns, name);
  // The targets of a TLS name carry the configured name: the certificate is checked against it.
  if (r.ok() && name.transport == "tls") {
    for (auto& t : r.value().targets) t.server_name = name.host;
  }
  return r;
}

}  // namespace callmesh::ingress
