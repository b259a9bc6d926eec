#include "services/notification/webhook_rules.h"

#include <algorithm>
#include <cstdio>

#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace callmesh::notification {

namespace {

std::string hex(const unsigned char* bytes, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xf];
  }
  return out;
}

std::string randomHex(size_t bytes) {
  unsigned char buf[64];
  bytes = std::min(bytes, sizeof(buf));
  if (RAND_bytes(buf, static_cast<int>(bytes)) != 1) return {};
  return hex(buf, bytes);
}

Error badUrl(const std::string& why) { return Error{ErrorKind::InvalidInput, why, "url"}; }

}  // namespace

Result<WebhookUrl> parseWebhookUrl(const std::string& url) {
  if (url.size() > kMaxWebhookUrlBytes) {
    return badUrl("at most " + std::to_string(kMaxWebhookUrlBytes) + " bytes");
  }
  for (char c : url) {
    if (c <= 0x20 || c >= 0x7f) return badUrl("only printable ASCII without spaces");
  }
  const std::string scheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    return badUrl(
        "https:// is not supported yet: give an http:// URL (TLS termination in front "
        "of the receiver, or see services/notification/README.md)");
  }
  if (url.rfind(scheme, 0) != 0) return badUrl("must start with http://");
  std::string rest = url.substr(scheme.size());
  if (rest.find('#') != std::string::npos) return badUrl("may not have a #fragment");
  size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  WebhookUrl out;
  if (slash != std::string::npos) {
    out.target = rest.substr(slash);
    if (out.target[0] == '?') out.target = "/" + out.target;
  }
  if (authority.find('@') != std::string::npos) return badUrl("may not carry user:password@");
  if (authority.empty()) return badUrl("names no host");
  if (authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return badUrl("unclosed IPv6 [address]");
    out.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return badUrl("junk after the IPv6 address");
      out.port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) out.port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return badUrl("names no host");
  if (out.port.empty() || out.port.size() > 5 ||
      out.port.find_first_not_of("0123456789") != std::string::npos) {
    return badUrl("port must be 1..65535");
  }
  int port = std::stoi(out.port);
  if (port < 1 || port > 65535) return badUrl("port must be 1..65535");
  return out;
}

std::string hmacSha256Hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return hex(mac, len);
}

std::string webhookSignature(const std::string& secret, int64_t unix_seconds,
                             const std::string& body) {
  std::string t = std::to_string(unix_seconds);
  return "t=" + t + ",v1=" + hmacSha256Hex(secret, t + "." + body);
}

std::string newWebhookSecret() { return "whsec_" + randomHex(32); }
std::string newWebhookId() { return randomHex(16); }

RetryStep afterFailedAttempt(int attempts_made, int64_t first_at_ms, int64_t now_ms,
                             const config::WebhookSettings& s) {
  int64_t backoff = s.first_backoff_ms;
  for (int i = 1; i < attempts_made && backoff < s.max_backoff_ms; ++i) backoff *= 2;
  backoff = std::min(backoff, s.max_backoff_ms);
  RetryStep step;
  step.next_at_ms = now_ms + backoff;
  step.dead = step.next_at_ms > first_at_ms + s.retry_for_ms;
  return step;
}

}  // namespace callmesh::notification
