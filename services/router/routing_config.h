#pragma once

#include <map>
#include <string>
#include <vector>

#include "shared/base/result.h"

namespace callmesh::router {

// A phone the platform forwards to (seed 000: "receiving number").
struct ReceivingNumber {
  std::string number;  // E.164
  std::string uri;     // SIP URI at the gateway or PBX that reaches it
};

// A published number callers dial (seed 000: "tracking number").
struct TrackingNumber {
  std::string number;  // E.164
  std::vector<ReceivingNumber> receiving_numbers;
  int ring_timeout_ms = 45000;  // seed 000: default no-answer timeout 45 s
};

// The routing data the router decides from (routing.yaml).
struct RoutingConfig {
  std::string source_file;
  std::map<std::string, TrackingNumber> tracking_numbers;  // by E.164
};

// Parses routing.yaml; every problem is `file:line: key: what is wrong`.
Result<RoutingConfig> parseRoutingConfig(const std::string& yaml_text,
                                         const std::string& file_name);
Result<RoutingConfig> loadRoutingConfig(const std::string& path);

}  // namespace callmesh::router
