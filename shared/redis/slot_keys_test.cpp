#include "shared/redis/slot_keys.h"

#include <gtest/gtest.h>

#include "shared/config/cluster_config.h"

namespace callmesh::redis {
namespace {

TEST(SlotKeys, ANumberInAnAccountKeepsItsSlotsUnderTheAccountsKey) {
  config::LimiterSettings limiter;
  limiter.accounts["acme"] = {80, {"+15550100", "+15550101"}};
  auto keys = SlotKeys::fromConfig(limiter);
  EXPECT_EQ(keys.numberKey("+15550100"), "cm:{acct:acme}:slots:+15550100");
  EXPECT_EQ(keys.numberKey("+15550101"), "cm:{acct:acme}:slots:+15550101");
  EXPECT_EQ(keys.numberKey("+15550199"), "cm:{+15550199}:slots");  // no account
  ASSERT_NE(keys.accountOf("+15550101"), nullptr);
  EXPECT_EQ(*keys.accountOf("+15550101"), "acme");
  EXPECT_EQ(keys.accountOf("+15550199"), nullptr);
}

}  // namespace
}  // namespace callmesh::redis
