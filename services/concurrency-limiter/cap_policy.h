#pragma once

#include <map>
#include <string>

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
        account_of_number_(std::move(account_of_number)) {}

  // The account a number counts against, or nullptr.
  const Account* accountOf(const std::string& number) const {
    auto it = account_of_number_.find(number);
    return it == account_of_number_.end() ? nullptr : &it->second;
  }

  int capFor(const std::string& number) const {
    auto it = overrides_.find(number);
    return it == overrides_.end() ? default_cap_ : it->second;
  }
  bool isConfigured(const std::string& number) const { return overrides_.count(number) > 0; }
  int defaultCap() const { return default_cap_; }

 private:
  int default_cap_;
  std::map<std::string, int> overrides_;
  std::map<std::string, Account> account_of_number_;
};

}  // namespace callmesh::concurrency_limiter
