#pragma once

// Digest authentication of agents' devices calling out (issue 16 item 5; RFC 3261 22.3 proxy
// authentication, RFC 7616 SHA-256 and MD5, RFC 8760).
//
// The ingress does not know which calls are an agent's outbound calls: the router does (an
// agent's id or number as caller, a number that is not ours as callee). So:
//  - a new INVITE or MESSAGE carrying Proxy-Authorization is checked here first; a valid answer
//    makes its user the call's authenticated agent (RouteRequest.authenticatedAgent), the only
//    identity the router trusts for an outbound call; a wrong one is answered 407 at once;
//  - the router refuses an agent's outbound call without an authenticated agent with 407; the
//    ingress then adds challenges() (SHA-256 first, then MD5) to that 407.
// Nonces are stateless (NonceMinter); the nonce counts seen are remembered per nonce for its
// lifetime so a captured answer cannot be replayed.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "services/ingress/agent_credentials.h"
#include "services/ingress/sip_digest.h"
#include "shared/config/cluster_config.h"

namespace callmesh::ingress {

// callmesh_ingress_agent_auth_total{result}: challenged (a 407 with challenges went out),
// authenticated, stale (right answer, expired nonce), rejected (any other wrong answer).
struct AgentAuthMetrics {
  explicit AgentAuthMetrics(prometheus::Registry& registry);
  prometheus::Counter& challenged;
  prometheus::Counter& authenticated;
  prometheus::Counter& stale;
  prometheus::Counter& rejected;
  prometheus::Gauge& credentials;  // callmesh_ingress_agent_credentials: HA1 lines in force
};

class AgentAuth {
 public:
  enum class Verdict { Authenticated, Stale, Rejected };
  struct Check {
    Verdict verdict = Verdict::Rejected;
    std::string agent;  // the authenticated user, when Authenticated
    std::string why;    // for logs: never a hash or a password
  };

  // Startup: the nonce secret (its file, or random bytes) and the credentials file (when
  // configured; an error names the file and line when it does not load).
  static Result<std::unique_ptr<AgentAuth>> create(const config::AgentAuthSettings& settings,
                                                   AgentAuthMetrics* metrics);
  // `credentials` null: no agent can authenticate (every answer is rejected).
  AgentAuth(const config::AgentAuthSettings& settings, std::string nonce_secret,
            std::unique_ptr<CredentialsFile> credentials, AgentAuthMetrics* metrics);

  // Whether the router must demand authentication of agents' outbound calls.
  bool required() const { return required_; }
  // A Proxy-Authorization value for our realm (others are for other proxies on the path).
  bool isOurs(std::string_view authorization) const;
  // HA1 lines in force (0: no agent can authenticate).
  size_t credentialCount() const { return credentials() ? credentials()->size() : 0; }
  // Checks a Proxy-Authorization value of a request with this method, whose Request-URI user
  // part (the dialled number) is `request_user`: the answer's digest-uri must name the same user
  // (RFC 7616 3.4.6), so an answer captured on the way cannot be moved to another number.
  Check verify(std::string_view method, std::string_view request_user,
               std::string_view authorization, int64_t now_ms);
  // The Proxy-Authenticate values of a 407, one per offered algorithm in the configured order
  // (SHA-256 first by default; RFC 8760 2.4: most preferred first).
  std::vector<std::string> challenges(int64_t now_ms, bool stale);
  // Re-reads the credentials file when it changed; an error when a changed file does not load
  // (the previous credentials stay in force). Cheap: one stat.
  Result<bool> reloadCredentials();

  // Test seam: credentials given directly.
  void setCredentialsForTest(AgentCredentials credentials) {
    fixed_ = std::move(credentials);
    file_.reset();
  }

 private:
  const AgentCredentials* credentials() const;
  bool replayed(const std::string& nonce, uint32_t nc, int64_t now_ms);

  bool required_;
  std::string realm_;
  std::vector<DigestAlgorithm> offered_;
  NonceMinter nonces_;
  std::unique_ptr<CredentialsFile> file_;
  std::optional<AgentCredentials> fixed_;
  AgentAuthMetrics* metrics_;
  // nonce -> {highest nonce count accepted, when first seen}; bounded (see replayed()).
  std::unordered_map<std::string, std::pair<uint32_t, int64_t>> counts_;
};

}  // namespace callmesh::ingress
