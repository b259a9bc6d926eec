#pragma once

#include <string>

#include "shared/config/cluster_config.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::config {

// cluster.yaml's `redis:` section: host, port, timeout_ms, or sentinels + master_name;
// auth_files (per service, resolved against `file_name`); reconnect_min_ms/max_ms;
// replica_acks, replica_ack_timeout_ms.
void readRedisSettings(YamlMap& m, const std::string& file_name, RedisSettings& r);

// The services that hold a Redis connection, as `redis.auth_files` names them.
bool isRedisService(const std::string& name);

}  // namespace callmesh::config
