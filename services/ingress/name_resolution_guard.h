#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace callmesh::ingress {

// The ingress must never resolve a host named inside a received message (a Via sent-by, a
// Contact, a Route): that would let any sender make us query DNS and send wherever it likes.
// sofia-sip resolves such names when it answers some malformed requests statelessly, so the
// ingress interposes getaddrinfo() for the whole process: numeric addresses pass, names pass
// only if they come from our own configuration (peer endpoints, ring targets), anything else
// fails with EAI_NONAME and is counted.
void allowNameResolution(const std::vector<std::string>& names);
// How many lookups of names not in the allow-list were refused.
uint64_t refusedNameLookups();
// Used by the getaddrinfo interposer.
bool isNumericHostForGuard(const char* node);
bool isAllowedHostForGuard(const char* node);
void countRefusedLookup();

// Extracts the host of "sip:user@host:port;params", "tcp://host:port" or "host:port".
std::string hostOf(const std::string& uri_or_endpoint);

}  // namespace callmesh::ingress
