#include "shared/redis/redis_client_factory.h"

#include "shared/redis/cluster_client.h"
#include "shared/redis/hiredis_client.h"

namespace callmesh::redis {

std::unique_ptr<RedisClient> makeRedisClient(const RedisEndpoint& endpoint) {
  if (!endpoint.cluster_nodes.empty()) return std::make_unique<ClusterClient>(endpoint);
  return std::make_unique<HiredisClient>(endpoint);
}

}  // namespace callmesh::redis
