#pragma once

#include <map>
#include <string>

#include "shared/config/cluster_config.h"
#include "shared/config/runtime_caps.h"
#include "shared/redis/slot_keys.h"

namespace callmesh::concurrency_limiter {

// How many simultaneous calls a dialed number may hold (seed 004: 50 per company number),
// with per-number overrides from config.
class CapPolicy {
 public:
  // An account-wide cap shared by several numbers (issue 5).
  struct Account {
    std::string id;
    int cap = 0;
  };

  CapPolicy(int default_cap, std::map<std::string, int> overrides,
            std::map<std::string, Account> account_of_number = {})
      : default_cap_(default_cap),
        overrides_(std::move(overrides)),
        account_of_number_(std::move(account_of_number)),
        slot_keys_(accountIds(account_of_number_)),
        configured_overrides_(overrides_),
        configured_accounts_(account_of_number_) {}

  // The caps of `concurrency_limiter` in cluster.yaml. The numbers' accounts are the ones
  // redis::SlotKeys::fromConfig gives every reader of the slot keys.
  static CapPolicy fromSettings(const config::LimiterSettings& settings) {
    const auto keys = redis::SlotKeys::fromConfig(settings);
    std::map<std::string, Account> account_of_number;
    for (const auto& [number, id] : keys.accountOfNumber()) {
      account_of_number[number] = {id, settings.accounts.at(id).cap};
    }
    return CapPolicy(settings.default_cap, settings.caps, std::move(account_of_number));
  }

  // The account a number counts against, or nullptr.
  const Account* accountOf(const std::string& number) const {
    auto it = account_of_number_.find(number);
    return it == account_of_number_.end() ? nullptr : &it->second;
  }
  // Where each number's slots are kept (under its account's key when it has one).
  const redis::SlotKeys& slotKeys() const { return slot_keys_; }

  int capFor(const std::string& number) const {
    auto it = overrides_.find(number);
    return it == overrides_.end() ? default_cap_ : it->second;
  }
  bool isConfigured(const std::string& number) const { return overrides_.count(number) > 0; }

  // Caps set at run time (the active routing document's number_caps and account_caps, issue 20)
  // over cluster.yaml's, replacing the previous run-time set whole. Accounts keep the numbers
  // cluster.yaml gives them (that decides where slots are kept); only their caps change here. A
  // run-time cap for an account cluster.yaml does not define is ignored.
  void applyRuntime(const config::RuntimeCaps& runtime) {
    overrides_ = configured_overrides_;
    for (const auto& [number, cap] : runtime.numbers) overrides_[number] = cap;
    account_of_number_ = configured_accounts_;
    for (auto& [number, account] : account_of_number_) {
      auto it = runtime.accounts.find(account.id);
      if (it != runtime.accounts.end()) account.cap = it->second;
    }
  }
  int defaultCap() const { return default_cap_; }

 private:
  static std::map<std::string, std::string> accountIds(
      const std::map<std::string, Account>& account_of_number) {
    std::map<std::string, std::string> ids;
    for (const auto& [number, account] : account_of_number) ids[number] = account.id;
    return ids;
  }

  int default_cap_;
  std::map<std::string, int> overrides_;
  std::map<std::string, Account> account_of_number_;
  redis::SlotKeys slot_keys_;
  std::map<std::string, int> configured_overrides_;
  std::map<std::string, Account> configured_accounts_;
};

}  // namespace callmesh::concurrency_limiter
