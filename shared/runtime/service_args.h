#pragma once

#include <string>

#include "shared/base/result.h"

namespace callmesh::runtime {

// What every service binary takes on its command line.
struct ServiceArgs {
  std::string config_path;  // --config FILE (cluster.yaml)
  bool check_only = false;  // --check: validate the config and exit
};

// Parses argv; the error text is a usage line naming the bad argument.
Result<ServiceArgs> parseServiceArgs(int argc, char** argv, const std::string& program);

}  // namespace callmesh::runtime
