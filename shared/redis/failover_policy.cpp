#include "shared/redis/failover_policy.h"

#include <algorithm>
#include <string_view>

namespace callmesh::redis {

namespace {

bool startsWith(const std::string& text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

bool demandsReconnect(const RedisReply& reply) {
  if (reply.type != RedisReply::Type::Error) return false;
  return startsWith(reply.text, "READONLY") || startsWith(reply.text, "LOADING") ||
         startsWith(reply.text, "MASTERDOWN");
}

bool isPrimaryRole(const RedisReply& reply) {
  return reply.type == RedisReply::Type::Array && !reply.elements.empty() &&
         reply.elements[0].type == RedisReply::Type::String && reply.elements[0].text == "master";
}

Result<RedisAddress> primaryFromSentinelReply(const RedisReply& reply,
                                              const std::string& master_name) {
  const std::string where = "sentinel get-master-addr-by-name " + master_name;
  if (reply.isNil()) return invalidInput("sentinel does not monitor this master name", where);
  if (reply.type == RedisReply::Type::Error)
    return Error{ErrorKind::Disconnected, "sentinel refused: " + reply.text, where};
  if (reply.type != RedisReply::Type::Array || reply.elements.size() != 2 ||
      reply.elements[0].type != RedisReply::Type::String ||
      reply.elements[1].type != RedisReply::Type::String || reply.elements[0].text.empty())
    return Error{ErrorKind::Internal, "unexpected reply shape", where};
  const std::string& port_text = reply.elements[1].text;
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return Error{ErrorKind::Internal, "port '" + port_text + "' is not a number", where};
  int port = std::stoi(port_text);
  if (port < 1 || port > 65535)
    return Error{ErrorKind::Internal, "port " + port_text + " out of range", where};
  return RedisAddress{reply.elements[0].text, port};
}

ReconnectBackoff::ReconnectBackoff(int64_t min_ms, int64_t max_ms, std::function<double()> unit)
    : min_ms_(std::max<int64_t>(1, min_ms)),
      max_ms_(std::max(min_ms_, max_ms)),
      unit_(std::move(unit)) {}

int64_t ReconnectBackoff::failed() {
  ++failures_;
  int64_t ceiling = min_ms_;
  // Doubling stops at max: no overflow however long Redis stays away.
  for (int i = 1; i < failures_ && ceiling < max_ms_; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_ms_);
  double u = std::clamp(unit_(), 0.0, 0.999999);
  return static_cast<int64_t>(static_cast<double>(ceiling) * (0.5 + 0.5 * u));
}

}  // namespace callmesh::redis
