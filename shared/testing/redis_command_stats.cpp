#include "shared/testing/redis_command_stats.h"

#include <sstream>

namespace callmesh::testing {

std::map<std::string, int64_t> redisCommandCalls(redis::RedisClient& client) {
  std::map<std::string, int64_t> calls;
  auto info = client.command({"INFO", "commandstats"});
  if (!info.ok()) return calls;
  std::istringstream lines(info->text);
  std::string line;
  const std::string prefix = "cmdstat_";
  const std::string field = ":calls=";
  while (std::getline(lines, line)) {
    if (line.compare(0, prefix.size(), prefix) != 0) continue;
    size_t at = line.find(field);
    if (at == std::string::npos) continue;
    calls[line.substr(prefix.size(), at - prefix.size())] =
        std::stoll(line.substr(at + field.size()));
  }
  return calls;
}

int64_t dataCommandCalls(const std::map<std::string, int64_t>& calls) {
  int64_t sum = 0;
  for (const auto& [name, count] : calls) {
    bool bookkeeping = name == "eval" || name == "evalsha" || name.rfind("script", 0) == 0 ||
                       name == "info" || name.rfind("config", 0) == 0;
    if (!bookkeeping) sum += count;
  }
  return sum;
}

}  // namespace callmesh::testing
