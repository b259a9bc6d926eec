#include "services/ingress/name_resolution_guard.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <string>

namespace callmesh::ingress {

namespace {

std::mutex g_mutex;  // NOLINT: process-wide by nature (symbol interposition)
std::set<std::string>* g_allowed = nullptr;  // NOLINT: leaked on purpose, used until exit
std::atomic<uint64_t> g_refused{0};          // NOLINT

bool isAllowed(const char* node) {
  std::lock_guard lock(g_mutex);
  return g_allowed && g_allowed->count(node) > 0;
}

bool isNumeric(const char* node) {
  // inet_pton answers without any lookup; getaddrinfo would do the same work twice per send.
  unsigned char buf[sizeof(in6_addr)];
  std::string text = node;
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

}  // namespace

void allowNameResolution(const std::vector<std::string>& names) {
  std::lock_guard lock(g_mutex);
  if (!g_allowed) g_allowed = new std::set<std::string>();
  for (const auto& n : names) {
    if (!n.empty()) g_allowed->insert(n);
  }
}

uint64_t refusedNameLookups() { return g_refused.load(); }

bool isNumericHostForGuard(const char* node) { return isNumeric(node); }
bool isAllowedHostForGuard(const char* node) {
  return std::strcmp(node, "localhost") == 0 || isAllowed(node);
}
void countRefusedLookup() { g_refused.fetch_add(1); }

std::string hostOf(const std::string& text) {
  std::string rest = text;
  auto scheme = rest.find("://");
  if (scheme != std::string::npos) {
    rest = rest.substr(scheme + 3);
  } else if (rest.rfind("sip:", 0) == 0 || rest.rfind("sips:", 0) == 0) {
    rest = rest.substr(rest.find(':') + 1);
    auto at = rest.find('@');
    if (at != std::string::npos) rest = rest.substr(at + 1);
  }
  if (!rest.empty() && rest.front() == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.find_first_of(":;>?/"));
}

}  // namespace callmesh::ingress

// Interposes libc's getaddrinfo for every library in the ingress process (sofia-sip, libzmq).
extern "C" int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints,
                           struct addrinfo** res) {
  using Real = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
  static Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "getaddrinfo"));
  if (node == nullptr || callmesh::ingress::isNumericHostForGuard(node) ||
      callmesh::ingress::isAllowedHostForGuard(node)) {
    return real(node, service, hints, res);
  }
  callmesh::ingress::countRefusedLookup();
  return EAI_NONAME;
}
