#pragma once

#include <map>
#include <string>

namespace callmesh::config {
struct LimiterSettings;
}

namespace callmesh::redis {

// Names of the concurrency-limiter's sorted sets (docs/redis-keys.md), in one place for the
// limiter that writes them and the services that read them (the API reporting cap use, presence's
// reconcile). The braces are Redis Cluster hash tags: a number in an account lives under the
// account's tag, beside the account's own set.
inline std::string accountSlotsKey(const std::string& account_id) {
  return "cm:{acct:" + account_id + "}:slots";
}

inline std::string numberSlotsKey(const std::string& number, const std::string& account_id = {}) {
  if (!account_id.empty()) return accountSlotsKey(account_id) + ":" + number;
  return "cm:{" + number + "}:slots";
}

// Where each number's slots are. A number under an account-wide cap (concurrency_limiter.accounts)
// keeps them under its account's key, so no reader can find a number's slots from the number
// alone: the limiter names its keys through this, and every reader builds one from the same
// cluster config, so they cannot disagree (a reader that did once ended live calls: issue 15).
class SlotKeys {
 public:
  // number -> the id of the account whose cap it counts against; numbers absent have none.
  explicit SlotKeys(std::map<std::string, std::string> account_of_number = {})
      : account_of_number_(std::move(account_of_number)) {}

  // The mapping the limiter runs with: every number of every configured account (the config
  // loader rejects a number listed in two accounts).
  static SlotKeys fromConfig(const config::LimiterSettings& limiter);

  // The account `number` counts against, or nullptr.
  const std::string* accountOf(const std::string& number) const {
    auto it = account_of_number_.find(number);
    return it == account_of_number_.end() ? nullptr : &it->second;
  }
  // The key of the number's own sorted set of slots.
  std::string numberKey(const std::string& number) const {
    const std::string* account = accountOf(number);
    return numberSlotsKey(number, account ? *account : std::string());
  }
  const std::map<std::string, std::string>& accountOfNumber() const { return account_of_number_; }

 private:
  std::map<std::string, std::string> account_of_number_;
};

}  // namespace callmesh::redis
