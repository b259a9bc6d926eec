#include "shared/redis/primary_connector.h"

#include <hiredis/hiredis.h>

#include "shared/redis/hiredis_io.h"

namespace callmesh::redis {

std::string PrimaryConnector::where() const {
  if (!endpoint_.cluster_nodes.empty())
    return "redis cluster via " + endpoint_.cluster_nodes.front().text() +
           (endpoint_.cluster_nodes.size() > 1 ? " and others" : "");
  if (endpoint_.sentinels.empty())
    return "redis " + endpoint_.host + ":" + std::to_string(endpoint_.port);
  return "redis master '" + endpoint_.master_name + "' via sentinel" +
         (primary_.host.empty() ? std::string() : " (last primary " + primary_.text() + ")");
}

Result<RedisAddress> PrimaryConnector::askSentinels() {
  const auto& sentinels = endpoint_.sentinels;
  std::string failures;
  for (size_t i = 0; i < sentinels.size(); ++i) {
    size_t at = (next_sentinel_ + i) % sentinels.size();
    // Sentinels have no ACL users of their own here: they sit on the same private network.
    auto c = openConnection(sentinels[at], endpoint_.timeout_ms, RedisCredentials{});
    Result<RedisAddress> answer = Error{};
    if (c.ok()) {
      auto reply =
          roundTrip(c.value(), {"SENTINEL", "get-master-addr-by-name", endpoint_.master_name});
      redisFree(c.value());
      answer = reply.ok() ? primaryFromSentinelReply(reply.value(), endpoint_.master_name)
                          : Result<RedisAddress>(reply.error());
    } else {
      answer = c.error();
    }
    if (answer.ok()) {
      next_sentinel_ = at;
      return answer;
    }
    failures +=
        (failures.empty() ? "" : "; ") + sentinels[at].text() + ": " + answer.error().message;
  }
  return Error{ErrorKind::Disconnected, "no sentinel named the primary (" + failures + ")",
               where()};
}

Result<redisContext*> PrimaryConnector::connect() {
  if (!endpoint_.cluster_nodes.empty()) {
    // Redis Cluster: any node will do for what goes through here (a pub/sub subscription: a
    // PUBLISH on any node reaches the subscribers of every node). Each seed in turn.
    const auto& nodes = endpoint_.cluster_nodes;
    std::string failures;
    for (size_t i = 0; i < nodes.size(); ++i) {
      size_t at = (next_sentinel_ + i) % nodes.size();
      auto c = openConnection(nodes[at], endpoint_.timeout_ms, endpoint_.credentials);
      if (c.ok()) {
        next_sentinel_ = (at + 1) % nodes.size();  // the next connect spreads to the next node
        primary_ = nodes[at];
        return c.value();
      }
      failures += (failures.empty() ? "" : "; ") + nodes[at].text() + ": " + c.error().message;
    }
    return Error{ErrorKind::Disconnected, "no cluster node answered (" + failures + ")", where()};
  }
  RedisAddress target{endpoint_.host, endpoint_.port};
  if (!endpoint_.sentinels.empty()) {
    auto asked = askSentinels();
    if (!asked.ok()) return asked.error();
    target = asked.value();
  }
  auto c = openConnection(target, endpoint_.timeout_ms, endpoint_.credentials);
  if (!c.ok()) return c.error();
  if (!endpoint_.sentinels.empty()) {
    auto role = roundTrip(c.value(), {"ROLE"});
    if (!role.ok() || !isPrimaryRole(role.value())) {
      std::string why = !role.ok()                              ? role.error().message
                        : role->type == RedisReply::Type::Error ? role->text
                        : role->elements.empty()                ? "empty ROLE reply"
                                                                : role->elements[0].text;
      redisFree(c.value());
      return Error{ErrorKind::Disconnected,
                   "sentinel named " + target.text() + " but it is not a primary (" + why + ")",
                   where()};
    }
  }
  primary_ = target;
  return c.value();
}

}  // namespace callmesh::redis
