#pragma once

#include <string>

#include "shared/config/cluster_config.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::config {

// cluster.yaml's optional `media:` section (MediaSettings): rtpengine's ng address, the ng
// timeout/attempts/retry period, fail_mode open|closed, record, whisper_dir (resolved against
// `file_name`), the extension digits' tone and gap.
void readMediaSettings(YamlMap& m, const std::string& file_name, MediaSettings& media);

}  // namespace callmesh::config
