#pragma once

#include <memory>

#include "shared/redis/primary_connector.h"
#include "shared/redis/redis_client.h"

namespace callmesh::redis {

// The client `endpoint` calls for: a ClusterClient when it names cluster nodes
// (redis.cluster_nodes), else a HiredisClient (one server, or the primary Sentinel names).
std::unique_ptr<RedisClient> makeRedisClient(const RedisEndpoint& endpoint);

}  // namespace callmesh::redis
