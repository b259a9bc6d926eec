#include "services/ingress/dns_lookup.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <cstring>

#include "shared/config/cluster_config.h"

namespace callmesh::ingress {

struct ResolvLookup::State {
  struct __res_state res;
};

namespace {

constexpr size_t kAnswerBytes = 16384;  // bounded: larger answers are refused, not grown into

// A parsed answer: its records of `type` from the answer section, or why there are none.
struct Parsed {
  std::vector<ns_rr> records;
  ns_msg msg{};
  std::string error;
};

// Parses a response for its answer records of `type`.
Parsed parse(const unsigned char* buf, size_t n, int type) {
  Parsed p;
  if (n > kAnswerBytes) {
    p.error = "answer over " + std::to_string(kAnswerBytes) + " bytes";
    return p;
  }
  if (ns_initparse(buf, static_cast<int>(n), &p.msg) < 0) {
    p.error = "malformed answer";
    return p;
  }
  int count = ns_msg_count(p.msg, ns_s_an);
  for (int i = 0; i < count; ++i) {
    ns_rr rr;
    if (ns_parserr(&p.msg, ns_s_an, i, &rr) < 0) {
      p.error = "malformed record";
      return p;
    }
    if (ns_rr_type(rr) == type && ns_rr_class(rr) == ns_c_in) p.records.push_back(rr);
  }
  return p;
}

// Runs one query into `buf`; its length, or -1 with `error` set. NXDOMAIN and NODATA are an
// empty answer (0); anything else that failed is an error.
int runQuery(struct __res_state& res, const std::string& name, int type, unsigned char* buf,
             std::string& error) {
  res.res_h_errno = 0;
  int n = res_nquery(&res, name.c_str(), ns_c_in, type, buf, static_cast<int>(kAnswerBytes));
  if (n >= 0) return n;
  switch (res.res_h_errno) {
    case HOST_NOT_FOUND:
    case NO_DATA:
      return 0;
    case TRY_AGAIN:
      error = "no answer (timeout or SERVFAIL)";
      return -1;
    default:
      error = "refused or malformed (h_errno " + std::to_string(res.res_h_errno) + ")";
      return -1;
  }
}

// Reads a domain name at `at` inside the record's data; false when it runs past `end`.
bool readName(const ns_msg& msg, const unsigned char* at, const unsigned char* end,
              std::string& out) {
  char name[NS_MAXDNAME];
  if (at >= end ||
      ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), at, name, sizeof(name)) < 0)
    return false;
  out = name[0] ? name : ".";
  return true;
}

// A <character-string>: a length byte then that many bytes, inside [at, end).
bool readText(const unsigned char*& at, const unsigned char* end, std::string& out) {
  if (at >= end || at + 1 + *at > end) return false;
  out.assign(reinterpret_cast<const char*>(at + 1), *at);
  at += 1 + *at;
  return true;
}

}  // namespace

Result<std::unique_ptr<ResolvLookup>> ResolvLookup::create(const DnsServerSettings& s) {
  auto state = std::make_unique<State>();
  std::memset(&state->res, 0, sizeof(state->res));
  if (res_ninit(&state->res) != 0)
    return Error{ErrorKind::Internal, "res_ninit failed", "gateway resolver"};
  state->res.retrans = (s.timeout_ms + 999) / 1000;
  state->res.retry = s.attempts;
  state->res.options &= ~(RES_DNSRCH | RES_DEFNAMES);  // configured names are absolute
  if (!s.server.empty()) {
    std::string host;
    int port = 53;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    if (!config::splitHostPort(s.server, host, port) ||
        inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
      res_nclose(&state->res);
      return invalidInput("'" + s.server + "' is not ipv4:port", "ingress.gateway_dns_server");
    }
    addr.sin_port = htons(static_cast<uint16_t>(port));
    state->res.nsaddr_list[0] = addr;
    state->res.nscount = 1;
  }
  return std::unique_ptr<ResolvLookup>(new ResolvLookup(std::move(state)));
}

ResolvLookup::ResolvLookup(std::unique_ptr<State> state) : state_(std::move(state)) {}
ResolvLookup::~ResolvLookup() { res_nclose(&state_->res); }

DnsAnswer<NaptrRecord> parseNaptrAnswer(const unsigned char* msg, size_t len) {
  Parsed p = parse(msg, len, ns_t_naptr);
  if (!p.error.empty()) return {{}, p.error};
  DnsAnswer<NaptrRecord> a;
  for (const ns_rr& rr : p.records) {
    const unsigned char* at = ns_rr_rdata(rr);
    const unsigned char* end = at + ns_rr_rdlen(rr);
    NaptrRecord n;
    std::string regexp;
    if (end - at < 4) return {{}, "short NAPTR record"};
    n.order = ns_get16(at);
    n.preference = ns_get16(at + 2);
    at += 4;
    if (!readText(at, end, n.flags) || !readText(at, end, n.service) ||
        !readText(at, end, regexp) || !readName(p.msg, at, end, n.replacement))
      return {{}, "malformed NAPTR record"};
    n.ttl = ns_rr_ttl(rr);
    a.records.push_back(std::move(n));
  }
  return a;
}

DnsAnswer<SrvRecord> parseSrvAnswer(const unsigned char* msg, size_t len) {
  Parsed p = parse(msg, len, ns_t_srv);
  if (!p.error.empty()) return {{}, p.error};
  DnsAnswer<SrvRecord> a;
  for (const ns_rr& rr : p.records) {
    const unsigned char* at = ns_rr_rdata(rr);
    const unsigned char* end = at + ns_rr_rdlen(rr);
    if (end - at < 7) return {{}, "short SRV record"};
    SrvRecord s;
    s.priority = ns_get16(at);
    s.weight = ns_get16(at + 2);
    s.port = ns_get16(at + 4);
    if (!readName(p.msg, at + 6, end, s.target)) return {{}, "malformed SRV record"};
    s.ttl = ns_rr_ttl(rr);
    a.records.push_back(std::move(s));
  }
  return a;
}

DnsAnswer<AddressRecord> parseAddressAnswer(const unsigned char* msg, size_t len, bool ipv6) {
  int type = ipv6 ? ns_t_aaaa : ns_t_a;
  Parsed p = parse(msg, len, type);
  if (!p.error.empty()) return {{}, p.error};
  DnsAnswer<AddressRecord> a;
  for (const ns_rr& rr : p.records) {
    char text[INET6_ADDRSTRLEN];
    size_t size = ipv6 ? 16 : 4;
    if (ns_rr_rdlen(rr) != size ||
        !inet_ntop(ipv6 ? AF_INET6 : AF_INET, ns_rr_rdata(rr), text, sizeof(text)))
      return {{}, "malformed address record"};
    a.records.push_back(AddressRecord{text, ns_rr_ttl(rr)});
  }
  return a;
}

DnsAnswer<NaptrRecord> ResolvLookup::naptr(const std::string& name) {
  std::vector<unsigned char> buf(kAnswerBytes);
  std::string error;
  int n = runQuery(state_->res, name, ns_t_naptr, buf.data(), error);
  if (n <= 0) return {{}, error};
  return parseNaptrAnswer(buf.data(), static_cast<size_t>(n));
}

DnsAnswer<SrvRecord> ResolvLookup::srv(const std::string& name) {
  std::vector<unsigned char> buf(kAnswerBytes);
  std::string error;
  int n = runQuery(state_->res, name, ns_t_srv, buf.data(), error);
  if (n <= 0) return {{}, error};
  return parseSrvAnswer(buf.data(), static_cast<size_t>(n));
}

DnsAnswer<AddressRecord> ResolvLookup::addresses(const std::string& name) {
  std::vector<unsigned char> buf(kAnswerBytes);
  DnsAnswer<AddressRecord> a;
  int failed = 0;
  for (bool ipv6 : {false, true}) {
    std::string error;
    int n = runQuery(state_->res, name, ipv6 ? ns_t_aaaa : ns_t_a, buf.data(), error);
    DnsAnswer<AddressRecord> one =
        n <= 0 ? DnsAnswer<AddressRecord>{{}, error}
               : parseAddressAnswer(buf.data(), static_cast<size_t>(n), ipv6);
    if (!one.error.empty()) {
      a.error = one.error;
      ++failed;
      continue;
    }
    a.records.insert(a.records.end(), one.records.begin(), one.records.end());
  }
  // One family failing while the other answered is an answer (an IPv4-only gateway whose server
  // refuses AAAA); both failing, or one failing and the other empty, is not.
  if (failed == 1 && !a.records.empty()) a.error.clear();
  return a;
}

}  // namespace callmesh::ingress
