#pragma once

// SIP digest authentication (RFC 3261 22, RFC 7616, RFC 8760), pure: no sofia, no sockets, no
// clock of its own. Hashes come from OpenSSL's libcrypto. Used by AgentAuth (agent_auth.h) to
// challenge agents' devices calling out and to check their answers.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callmesh::ingress {

enum class DigestAlgorithm { Sha256, Md5 };

// "SHA-256" / "MD5", as written in the algorithm= parameter.
const char* algorithmName(DigestAlgorithm algorithm);
// Case-insensitive; absent (empty) is MD5 (RFC 7616 3.3). nullopt for anything else ("-sess"
// variants included: we offer none).
std::optional<DigestAlgorithm> algorithmFromName(std::string_view name);
// Hex length of the algorithm's hash: 64 for SHA-256, 32 for MD5.
size_t hexLength(DigestAlgorithm algorithm);

// Lower-case hex of H(data).
std::string digestHex(DigestAlgorithm algorithm, std::string_view data);
// HA1 = H(username ":" realm ":" password): what the credentials file stores.
std::string digestHa1(DigestAlgorithm algorithm, std::string_view username, std::string_view realm,
                      std::string_view password);

// The parts of an answer that enter the response hash (RFC 7616 3.4.1, qop=auth; an empty qop is
// RFC 2069/2617's legacy form H(HA1:nonce:HA2)).
struct DigestInput {
  std::string_view method;
  std::string_view uri;
  std::string_view nonce;
  std::string_view nc;
  std::string_view cnonce;
  std::string_view qop;
};
std::string digestResponse(DigestAlgorithm algorithm, std::string_view ha1,
                           const DigestInput& input);

// A Proxy-Authorization (or Authorization) value, "Digest k=v, k="v", ...", as parameters with
// lower-case names and unquoted values. nullopt when the scheme is not Digest or the list does not
// parse (an unterminated quote, a parameter without '=', a repeated name). Bounded: values longer
// than 1 KB or more than 32 parameters are refused.
std::optional<std::map<std::string, std::string>> parseDigestCredentials(std::string_view value);

// Time-limited nonces anyone holding `secret` can verify without remembering them (RFC 7616 3.3
// suggests a time stamp and a keyed hash): nonce = hex(issued ms, 16) + hex(HMAC-SHA-256(secret,
// that hex))[0..32). Ingress replicas sharing the secret accept each other's nonces.
class NonceMinter {
 public:
  NonceMinter(std::string secret, int64_t lifetime_ms)
      : secret_(std::move(secret)), lifetime_ms_(lifetime_ms) {}
  enum class Check { Valid, Stale, Invalid };

  std::string mint(int64_t now_ms) const;
  // Stale: ours, but older than the lifetime (the device retries with the fresh nonce it gets
  // with stale=true, without asking its user). Invalid: not ours, or issued in the future.
  Check check(std::string_view nonce, int64_t now_ms) const;
  int64_t lifetimeMs() const { return lifetime_ms_; }

 private:
  std::string tag(std::string_view stamp) const;
  std::string secret_;
  int64_t lifetime_ms_;
};

// `n` random bytes from the OS (OpenSSL RAND_bytes): the per-process nonce secret.
std::string randomBytes(size_t n);
// Constant-time equality, for hashes compared against what the sender claims.
bool sameDigest(std::string_view a, std::string_view b);

}  // namespace callmesh::ingress
