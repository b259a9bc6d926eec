#include "shared/config/runtime_caps.h"

#include <yaml-cpp/yaml.h>

namespace callmesh::config {

namespace {

constexpr long kMaxCap = 100000;

Status readList(const YAML::Node& doc, const char* section, const char* key,
                std::map<std::string, int>& out) {
  const YAML::Node list = doc[section];
  if (!list) return {};
  if (!list.IsSequence()) return invalidInput("must be a list", section);
  for (size_t i = 0; i < list.size(); ++i) {
    std::string at = std::string(section) + "[" + std::to_string(i) + "]";
    const YAML::Node e = list[i];
    if (!e.IsMap() || !e[key] || !e[key].IsScalar() || !e["cap"] || !e["cap"].IsScalar()) {
      return invalidInput(std::string("needs ") + key + " and cap", at);
    }
    long cap = 0;
    try {
      cap = e["cap"].as<long>();
    } catch (const YAML::Exception&) {
      return invalidInput("cap must be a whole number", at + ".cap");
    }
    if (cap < 1 || cap > kMaxCap) return invalidInput("cap must be 1..100000", at + ".cap");
    out[e[key].Scalar()] = static_cast<int>(cap);
  }
  return {};
}

}  // namespace

Result<RuntimeCaps> parseRuntimeCaps(const std::string& routing_yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(routing_yaml);
  } catch (const YAML::Exception& e) {
    return invalidInput(std::string("YAML syntax: ") + e.what(), "routing document");
  }
  RuntimeCaps out;
  const YAML::Node& doc = root;
  if (!doc.IsMap()) return out;
  if (auto st = readList(doc, "number_caps", "number", out.numbers); !st.ok()) return st.error();
  if (auto st = readList(doc, "account_caps", "id", out.accounts); !st.ok()) return st.error();
  return out;
}

}  // namespace callmesh::config
