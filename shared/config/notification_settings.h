#pragma once

#include <string>

#include "shared/config/cluster_config.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::config {

// cluster.yaml's `notification:` section after its endpoints: the API's address, the text
// gateway, the console's folder, API limits, token hashes (inline and tokens_file), retention,
// text pacing, company numbers' settings and agents' numbers. Paths resolve against `file_name`.
void readNotificationSettings(YamlMap& m, const std::string& file_name, ConfigErrors& errors,
                              NotificationSettings& n);

}  // namespace callmesh::config
