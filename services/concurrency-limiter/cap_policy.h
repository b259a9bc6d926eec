#pragma once

#include <map>
#include <string>

namespace callmesh::concurrency_limiter {

// How many simultaneous calls a dialed number may hold (seed 004: 50 per company number),
// with per-number overrides from config.
class CapPolicy {
 public:
  CapPolicy(int default_cap, std::map<std::string, int> overrides)
      : default_cap_(default_cap), overrides_(std::move(overrides)) {}

  int capFor(const std::string& number) const {
    auto it = overrides_.find(number);
    return it == overrides_.end() ? default_cap_ : it->second;
  }
  bool isConfigured(const std::string& number) const { return overrides_.count(number) > 0; }
  int defaultCap() const { return default_cap_; }

 private:
  int default_cap_;
  std::map<std::string, int> overrides_;
};

}  // namespace callmesh::concurrency_limiter
