#pragma once

// Caps changed at run time (issue 20, docs/provisioning.md): the active routing document's
// `number_caps` and `account_caps`, over cluster.yaml's concurrency_limiter caps. The router's
// loader validated them before activation (parse_caps.cpp); the limiter reads them here.
#include <map>
#include <string>

#include "shared/base/result.h"

namespace callmesh::config {

struct RuntimeCaps {
  std::map<std::string, int> numbers;   // E.164 -> cap
  std::map<std::string, int> accounts;  // limiter account id -> cap
};

// The caps of a routing document; InvalidInput naming the entry when one is malformed.
Result<RuntimeCaps> parseRuntimeCaps(const std::string& routing_yaml);

}  // namespace callmesh::config
