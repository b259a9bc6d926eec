// Webhook rules (issue 20): URLs admins may subscribe, signatures, retry and dead letters.
#include "services/notification/webhook_rules.h"

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

TEST(WebhookRules, TakesHttpUrlsAndRefusesTheRestNamingWhy) {
  auto u = parseWebhookUrl("http://127.0.0.1:8099/hooks/callmesh?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "8099");
  EXPECT_EQ(u->target, "/hooks/callmesh?x=1");
  auto plain = parseWebhookUrl("http://crm.example");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, "80");
  EXPECT_EQ(plain->target, "/");
  auto v6 = parseWebhookUrl("http://[::1]:81/h");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "81");
  EXPECT_NE(parseWebhookUrl("https://crm.example/").error().message.find("https://"),
            std::string::npos);
  EXPECT_FALSE(parseWebhookUrl("ftp://x/").ok());
  EXPECT_FALSE(parseWebhookUrl("http://user:pw@x/").ok());
  EXPECT_FALSE(parseWebhookUrl("http://x:0/").ok());
  EXPECT_FALSE(parseWebhookUrl("http://x:99999/").ok());
  EXPECT_FALSE(parseWebhookUrl("http:///path").ok());
  EXPECT_FALSE(parseWebhookUrl("http://x/a b").ok());
  EXPECT_FALSE(parseWebhookUrl("http://x/" + std::string(kMaxWebhookUrlBytes, 'a')).ok());
  EXPECT_EQ(parseWebhookUrl("https://x/").error().context, "url");
}

TEST(WebhookRules, SignsTimestampDotBodyWithHmacSha256) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  EXPECT_EQ(hmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(webhookSignature("Jefe", 1700000000, "{}"),
            "t=1700000000,v1=" + hmacSha256Hex("Jefe", "1700000000.{}"));
  std::string a = newWebhookSecret(), b = newWebhookSecret();
  EXPECT_EQ(a.size(), 6u + 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(newWebhookId().size(), 32u);
}

TEST(WebhookRules, BacksOffDoublingUpToTheCapAndGivesUpAfterRetryFor) {
  config::WebhookSettings s;
  s.first_backoff_ms = 1000;
  s.max_backoff_ms = 8000;
  s.retry_for_ms = 60000;
  EXPECT_EQ(afterFailedAttempt(1, 0, 100, s).next_at_ms, 1100);
  EXPECT_EQ(afterFailedAttempt(2, 0, 100, s).next_at_ms, 2100);
  EXPECT_EQ(afterFailedAttempt(3, 0, 100, s).next_at_ms, 4100);
  EXPECT_EQ(afterFailedAttempt(4, 0, 100, s).next_at_ms, 8100);
  EXPECT_EQ(afterFailedAttempt(40, 0, 100, s).next_at_ms, 8100);
  EXPECT_FALSE(afterFailedAttempt(9, 0, 52000, s).dead);
  EXPECT_TRUE(afterFailedAttempt(9, 0, 52001, s).dead);
}

}  // namespace
}  // namespace callmesh::notification
