#pragma once

// The pure rules of webhooks (issue 20): which URLs may be subscribed, how a delivery is signed,
// and when a failed delivery is tried again or given up (dead letter). No sockets, no Redis, no
// clock: webhook_rules_test.cpp drives them.
#include <cstdint>
#include <string>

#include "shared/base/result.h"
#include "shared/config/cluster_config.h"

namespace callmesh::notification {

inline constexpr size_t kMaxWebhookUrlBytes = 2048;

// An admin-configured destination: http://host[:port][/path]. https:// is refused with a message
// saying so (README: added with Boost.Asio SSL's ssl::stream over the same client); no userinfo,
// no fragment.
struct WebhookUrl {
  std::string host;
  std::string port = "80";
  std::string target = "/";  // path and query, as sent in the request line
};
Result<WebhookUrl> parseWebhookUrl(const std::string& url);

// HMAC-SHA256 of `data` under `key`, lowercase hex.
std::string hmacSha256Hex(const std::string& key, const std::string& data);
// The X-Callmesh-Signature header's value: "t=<unix seconds>,v1=<hex HMAC-SHA256 of
// '<t>.<body>' under the subscription's secret>". Receivers recompute it and refuse stale t.
std::string webhookSignature(const std::string& secret, int64_t unix_seconds,
                             const std::string& body);
// A fresh secret ("whsec_" + 64 hex digits from the OS's CSPRNG) and id (32 hex digits).
std::string newWebhookSecret();
std::string newWebhookId();

// What follows a failed attempt: the next one at `next_at_ms` (backoff first_backoff_ms doubling
// per attempt up to max_backoff_ms), or dead when the next attempt would start past
// first_at_ms + retry_for_ms.
struct RetryStep {
  bool dead = false;
  int64_t next_at_ms = 0;
};
RetryStep afterFailedAttempt(int attempts_made, int64_t first_at_ms, int64_t now_ms,
                             const config::WebhookSettings& settings);

}  // namespace callmesh::notification
