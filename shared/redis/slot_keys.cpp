#include "shared/redis/slot_keys.h"

#include "shared/config/cluster_config.h"

namespace callmesh::redis {

SlotKeys SlotKeys::fromConfig(const config::LimiterSettings& limiter) {
  std::map<std::string, std::string> account_of_number;
  for (const auto& [id, account] : limiter.accounts) {
    for (const auto& number : account.numbers) account_of_number[number] = id;
  }
  return SlotKeys(std::move(account_of_number));
}

}  // namespace callmesh::redis
