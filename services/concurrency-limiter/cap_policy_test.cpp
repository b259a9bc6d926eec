// Caps changed at run time (issue 20, docs/provisioning.md) over cluster.yaml's: seed
// 004_ee4e98a6a7f6781b.txt's 50 simultaneous calls per company number is the default a number's
// run-time cap overrides; an account's cap changes, its numbers (where slots live) do not.
#include "services/concurrency-limiter/cap_policy.h"

#include <gtest/gtest.h>

namespace callmesh::concurrency_limiter {
namespace {

config::LimiterSettings settings() {
  config::LimiterSettings s;
  s.default_cap = 50;
  s.caps = {{"+15550100", 10}};
  s.accounts["acme"] = {80, {"+15550300", "+15550301"}};
  return s;
}

TEST(CapPolicy, RuntimeCapsOverrideTheConfigAndAreReplacedWhole) {
  auto caps = CapPolicy::fromSettings(settings());
  config::RuntimeCaps runtime;
  runtime.numbers = {{"+15550100", 2}, {"+15550200", 3}};
  runtime.accounts = {{"acme", 5}, {"nobody", 7}};
  caps.applyRuntime(runtime);
  EXPECT_EQ(caps.capFor("+15550100"), 2);
  EXPECT_EQ(caps.capFor("+15550200"), 3);
  EXPECT_EQ(caps.capFor("+15550999"), 50);
  ASSERT_NE(caps.accountOf("+15550300"), nullptr);
  EXPECT_EQ(caps.accountOf("+15550300")->cap, 5);
  EXPECT_EQ(caps.accountOf("+15550300")->id, "acme");
  const std::string key = caps.slotKeys().numberKey("+15550300");
  // The next set replaces this one: what it leaves out returns to cluster.yaml's value.
  caps.applyRuntime(config::RuntimeCaps{{{"+15550200", 4}}, {}});
  EXPECT_EQ(caps.capFor("+15550100"), 10);
  EXPECT_EQ(caps.capFor("+15550200"), 4);
  EXPECT_EQ(caps.accountOf("+15550300")->cap, 80);
  EXPECT_EQ(caps.slotKeys().numberKey("+15550300"), key);  // slots stay where they are
}

TEST(RuntimeCaps, ReadFromARoutingDocument) {
  auto caps = config::parseRuntimeCaps(
      "number_caps:\n  - {number: \"+15550100\", cap: 2}\naccount_caps:\n  - {id: acme, cap: 9}\n");
  ASSERT_TRUE(caps.ok()) << caps.error().describe();
  EXPECT_EQ(caps->numbers.at("+15550100"), 2);
  EXPECT_EQ(caps->accounts.at("acme"), 9);
  auto bad = config::parseRuntimeCaps("number_caps:\n  - {number: \"+15550100\", cap: 0}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().context, "number_caps[0].cap");
  EXPECT_TRUE(config::parseRuntimeCaps("tracking_numbers: []\n")->numbers.empty());
}

}  // namespace
}  // namespace callmesh::concurrency_limiter
