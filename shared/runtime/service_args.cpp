#include "shared/runtime/service_args.h"

#include <cstdio>
#include <string_view>

namespace callmesh::runtime {

Result<ServiceArgs> parseServiceArgs(int argc, char** argv, const std::string& program) {
  ServiceArgs args;
  const std::string usage = "usage: " + program + " --config cluster.yaml [--check]";
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      args.config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      args.config_path = std::string(a.substr(9));
    } else if (a == "--check") {
      args.check_only = true;
    } else {
      return invalidInput("unknown argument '" + std::string(a) + "'; " + usage);
    }
  }
  if (args.config_path.empty()) return invalidInput("missing --config; " + usage);
  return args;
}

std::optional<ServiceStart> startService(int argc, char** argv, const std::string& program) {
  auto args = parseServiceArgs(argc, argv, program);
  if (!args.ok()) {
    std::fprintf(stderr, "%s\n", args.error().describe().c_str());
    return std::nullopt;
  }
  auto cfg = config::loadClusterConfig(args->config_path);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.error().describe().c_str());
    return std::nullopt;
  }
  return ServiceStart{std::move(args.value()), std::move(cfg.value())};
}

}  // namespace callmesh::runtime
