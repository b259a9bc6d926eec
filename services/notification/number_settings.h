#pragma once

#include <map>
#include <string>
#include <vector>

#include "shared/base/result.h"
#include "shared/config/cluster_config.h"
#include "shared/redis/keys.h"
#include "shared/redis/redis_client.h"

namespace callmesh::notification {

// Company-number follow-up settings (seed 004 "Source & Tag", selected agents): configured in
// notification.numbers, changeable at run time by admins only ("Only the Team Owner/Admin can
// edit Company Number settings"). A change is kept in `cm:number:{<number>}:settings` and wins
// over the configured value, so every replica sees it at once.
class NumberSettingsBook {
 public:
  NumberSettingsBook(redis::RedisClient& redis,
                     std::map<std::string, config::CompanyNumberSettings> configured)
      : redis_(redis), configured_(std::move(configured)) {}

  // The settings in force for `number` (empty settings for an unknown number).
  Result<config::CompanyNumberSettings> effective(const std::string& number);
  Status set(const std::string& number, const config::CompanyNumberSettings& settings,
             const std::string& by, int64_t at_ms);
  // Configured numbers plus numbers changed at run time, sorted.
  Result<std::vector<std::string>> numbers();

  // The name is owned by shared/redis/keys.h (notification_keys); kept here for callers.
  static std::string key(const std::string& number) {
    return redis::notification_keys::numberSettings(number);
  }

 private:
  redis::RedisClient& redis_;
  std::map<std::string, config::CompanyNumberSettings> configured_;
};

}  // namespace callmesh::notification
