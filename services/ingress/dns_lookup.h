#pragma once

#include <memory>
#include <string>

#include "services/ingress/gateway_dns.h"
#include "shared/base/result.h"

namespace callmesh::ingress {

// Where and how long the gateway resolver asks (ingress.gateway_dns_* keys).
struct DnsServerSettings {
  std::string server;     // "ip:port" (IPv4) or "" for the nameservers of /etc/resolv.conf
  int timeout_ms = 1000;  // per query attempt; libresolv counts whole seconds, so rounded up
  int attempts = 2;       // tries per query and nameserver
};

// DnsLookup over glibc's libresolv (res_nquery + ns_parserr): every record comes with its own
// TTL, which c-ares 1.18 (Debian 12) does not give for SRV and NAPTR; the resolver runs on its own
// thread, so a blocking, bounded query is fine there. One instance per thread (its res_state).
// A query takes at most attempts x timeout x nameservers; A and AAAA are two queries.
class ResolvLookup final : public DnsLookup {
 public:
  static Result<std::unique_ptr<ResolvLookup>> create(const DnsServerSettings& settings);
  ~ResolvLookup() override;
  ResolvLookup(const ResolvLookup&) = delete;
  ResolvLookup& operator=(const ResolvLookup&) = delete;

  DnsAnswer<NaptrRecord> naptr(const std::string& name) override;
  DnsAnswer<SrvRecord> srv(const std::string& name) override;
  DnsAnswer<AddressRecord> addresses(const std::string& name) override;

 private:
  struct State;
  explicit ResolvLookup(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The records of one DNS response (as res_nquery returns it), each with its TTL; an error for a
// response or record that does not parse (rdata shorter than its fields, a string running past its
// record, a name running past the message or looping through compression pointers, an address of
// the wrong size). What the server sent is not trusted; the tests feed these hostile answers.
DnsAnswer<NaptrRecord> parseNaptrAnswer(const unsigned char* msg, size_t len);
DnsAnswer<SrvRecord> parseSrvAnswer(const unsigned char* msg, size_t len);
DnsAnswer<AddressRecord> parseAddressAnswer(const unsigned char* msg, size_t len, bool ipv6);

}  // namespace callmesh::ingress
