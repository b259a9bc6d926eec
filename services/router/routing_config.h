#pragma once

// Reads routing.yaml into the routing table (routing_table.h). The loader is routing_config.cpp;
// each YAML section has its own parse_*.cpp, references and loops are checked once every section
// is known (resolve_references.cpp, check_loops.cpp).
#include <string>

#include "services/router/routing_table.h"
#include "shared/base/result.h"

namespace callmesh::router {

// Parses routing.yaml; every problem is `file:line: key: what is wrong`. `zoneinfo_dir` is the tz
// database the time zone names are read from.
Result<RoutingConfig> parseRoutingConfig(const std::string& yaml_text, const std::string& file_name,
                                         const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
Result<RoutingConfig> loadRoutingConfig(const std::string& path);

}  // namespace callmesh::router
