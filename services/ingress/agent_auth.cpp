#include "services/ingress/agent_auth.h"

#include <strings.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace callmesh::ingress {

namespace {

constexpr size_t kMaxTrackedNonces = 100000;

prometheus::Counter& authCounter(prometheus::Family<prometheus::Counter>& f, const char* result) {
  return f.Add({{"result", result}});
}

prometheus::Family<prometheus::Counter>& authFamily(prometheus::Registry& r) {
  return prometheus::BuildCounter()
      .Name("callmesh_ingress_agent_auth_total")
      .Help("Digest authentication of agents' devices: challenged, authenticated, stale, rejected")
      .Register(r);
}

std::optional<uint32_t> nonceCount(const std::string& nc) {
  if (nc.size() != 8) return std::nullopt;
  uint32_t v = 0;
  for (char c : nc) {
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<uint32_t>(d);
  }
  return v;
}

// "sip:+15550100;npdi@host:5060;transport=udp" -> "+15550100" (the user part, as userPart()
// reads the Request-URI: without user parameters). The scheme is optional. "" when there is no
// user.
std::string_view digestUriUser(std::string_view uri) {
  for (std::string_view scheme : {"sip:", "sips:"}) {
    if (uri.size() >= scheme.size() && strncasecmp(uri.data(), scheme.data(), scheme.size()) == 0) {
      uri.remove_prefix(scheme.size());
      break;
    }
  }
  size_t at = uri.find('@');
  if (at == std::string_view::npos) return {};
  std::string_view user = uri.substr(0, at);
  return user.substr(0, user.find(';'));
}

}  // namespace

AgentAuthMetrics::AgentAuthMetrics(prometheus::Registry& registry)
    : challenged(authCounter(authFamily(registry), "challenged")),
      authenticated(authCounter(authFamily(registry), "authenticated")),
      stale(authCounter(authFamily(registry), "stale")),
      rejected(authCounter(authFamily(registry), "rejected")),
      credentials(prometheus::BuildGauge()
                      .Name("callmesh_ingress_agent_credentials")
                      .Help("Agent credentials (HA1 lines) in force")
                      .Register(registry)
                      .Add({})) {}

AgentAuth::AgentAuth(const config::AgentAuthSettings& settings, std::string nonce_secret,
                     std::unique_ptr<CredentialsFile> credentials, AgentAuthMetrics* metrics)
    : required_(settings.required),
      realm_(settings.realm),
      nonces_(std::move(nonce_secret), int64_t{settings.nonce_lifetime_s} * 1000),
      file_(std::move(credentials)),
      metrics_(metrics) {
  for (const std::string& name : settings.algorithms) {
    if (auto a = algorithmFromName(name); a && !name.empty()) offered_.push_back(*a);
  }
}

Result<std::unique_ptr<AgentAuth>> AgentAuth::create(const config::AgentAuthSettings& settings,
                                                     AgentAuthMetrics* metrics) {
  std::string secret;
  if (!settings.nonce_secret_file.empty()) {
    std::ifstream in(settings.nonce_secret_file);
    std::stringstream text;
    text << in.rdbuf();
    secret = text.str();
    if (!in || secret.size() < 16) {
      return Error{ErrorKind::InvalidInput, "nonce secret file missing or under 16 bytes",
                   settings.nonce_secret_file};
    }
  } else {
    secret = randomBytes(32);
    if (secret.empty()) return Error{ErrorKind::Internal, "no random bytes for the nonce secret"};
  }
  std::unique_ptr<CredentialsFile> file;
  if (!settings.credentials_file.empty()) {
    file = std::make_unique<CredentialsFile>(settings.credentials_file);
  }
  auto auth = std::make_unique<AgentAuth>(settings, std::move(secret), std::move(file), metrics);
  // A file that is there but wrong stops the start (fail loudly); one that is not there yet (an
  // optional Secret not created) leaves no agent able to authenticate until it appears: inbound
  // calls must not wait for it. SipProxy logs that at its first reload.
  if (auto loaded = auth->reloadCredentials();
      !loaded.ok() && loaded.error().kind != ErrorKind::NotFound) {
    return loaded.error();
  }
  return auth;
}

bool AgentAuth::isOurs(std::string_view authorization) const {
  auto params = parseDigestCredentials(authorization);
  if (!params) return false;
  auto it = params->find("realm");
  return it != params->end() && it->second == realm_;
}

const AgentCredentials* AgentAuth::credentials() const {
  if (fixed_) return &*fixed_;
  return file_ ? &file_->credentials() : nullptr;
}

Result<bool> AgentAuth::reloadCredentials() {
  if (!file_) return false;
  auto r = file_->reloadIfChanged();
  if (r.ok() && metrics_)
    metrics_->credentials.Set(static_cast<double>(file_->credentials().size()));
  return r;
}

AgentAuth::Check AgentAuth::verify(std::string_view method, std::string_view request_user,
                                   std::string_view authorization, int64_t now_ms) {
  Check out;
  auto fail = [&](std::string why) {
    out.why = std::move(why);
    if (metrics_) metrics_->rejected.Increment();
    return out;
  };
  auto params = parseDigestCredentials(authorization);
  if (!params) return fail("Proxy-Authorization is not a Digest answer that parses");
  auto get = [&](const char* key) -> const std::string& {
    static const std::string kNone;
    auto it = params->find(key);
    return it == params->end() ? kNone : it->second;
  };
  const std::string& user = get("username");
  if (user.empty() || get("nonce").empty() || get("response").empty() || get("uri").empty()) {
    return fail("username, nonce, uri or response missing");
  }
  if (get("realm") != realm_) return fail("realm is not ours");
  // A digest-uri without a user part (SIPp 3.6 answers with "sip:<proxy host:port>") is
  // accepted: only an answer that names a number is bound to it.
  if (std::string_view user = digestUriUser(get("uri")); !user.empty() && user != request_user) {
    return fail("uri names another number");
  }
  auto algorithm = algorithmFromName(get("algorithm"));
  if (!algorithm || std::find(offered_.begin(), offered_.end(), *algorithm) == offered_.end()) {
    return fail("algorithm not offered");
  }
  // We offer qop=auth only (RFC 7616 requires a qop); the legacy RFC 2069 form is refused.
  if (get("qop") != "auth") return fail("qop must be auth");
  auto nc = nonceCount(get("nc"));
  if (!nc || get("cnonce").empty()) return fail("nc or cnonce missing or malformed");
  NonceMinter::Check nonce = nonces_.check(get("nonce"), now_ms);
  if (nonce == NonceMinter::Check::Invalid) return fail("nonce not issued by us");
  const AgentCredentials* creds = credentials();
  const std::string* ha1 = creds ? creds->ha1(user, realm_, *algorithm) : nullptr;
  if (!ha1) return fail("no " + std::string(algorithmName(*algorithm)) + " credentials for user");
  DigestInput input{method, get("uri"), get("nonce"), get("nc"), get("cnonce"), get("qop")};
  if (!sameDigest(digestResponse(*algorithm, *ha1, input), get("response"))) {
    return fail("wrong response (password)");
  }
  if (nonce == NonceMinter::Check::Stale) {
    out.verdict = Verdict::Stale;
    out.why = "nonce expired";
    if (metrics_) metrics_->stale.Increment();
    return out;
  }
  if (replayed(get("nonce"), *nc, now_ms)) return fail("nonce count replayed");
  out.verdict = Verdict::Authenticated;
  out.agent = user;
  if (metrics_) metrics_->authenticated.Increment();
  return out;
}

bool AgentAuth::replayed(const std::string& nonce, uint32_t nc, int64_t now_ms) {
  if (counts_.size() >= kMaxTrackedNonces) {
    // Forget nonces past their lifetime: they are refused as stale anyway.
    for (auto it = counts_.begin(); it != counts_.end();) {
      it = now_ms - it->second.second > nonces_.lifetimeMs() ? counts_.erase(it) : std::next(it);
    }
    // Still full of live nonces: refuse new ones (the device gets a fresh challenge) rather
    // than forget counts and allow replays.
    if (counts_.size() >= kMaxTrackedNonces && counts_.find(nonce) == counts_.end()) return true;
  }
  auto [it, inserted] = counts_.try_emplace(nonce, nc, now_ms);
  if (inserted) return false;
  if (nc <= it->second.first) return true;
  it->second.first = nc;
  return false;
}

std::vector<std::string> AgentAuth::challenges(int64_t now_ms, bool stale) {
  std::string nonce = nonces_.mint(now_ms);
  std::vector<std::string> out;
  for (DigestAlgorithm a : offered_) {
    out.push_back("Digest realm=\"" + realm_ + "\", nonce=\"" + nonce + "\", algorithm=" +
                  algorithmName(a) + ", qop=\"auth\"" + (stale ? ", stale=true" : ""));
  }
  if (metrics_) metrics_->challenged.Increment();
  return out;
}

}  // namespace callmesh::ingress
