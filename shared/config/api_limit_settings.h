#pragma once

#include "shared/config/cluster_config.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::config {

// The notification API's bounds (issue 17 item 2) from flat `api_*` keys of the notification
// section; each has a range that keeps the service usable (a 0 cap would refuse everything).
void readApiLimits(YamlMap& m, ApiLimitSettings& l);

}  // namespace callmesh::config
