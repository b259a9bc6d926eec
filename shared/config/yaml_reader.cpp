#include "shared/config/yaml_reader.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

namespace callmesh::config {

int lineOf(const YAML::Node& node) {
  if (!node.IsDefined()) {
    return -1;
  }
  return node.Mark().line < 0 ? -1 : node.Mark().line + 1;
}

void ConfigErrors::add(const YAML::Node& node, std::string_view key, std::string_view what) {
  addAtLine(lineOf(node), key, what);
}

void ConfigErrors::addAtLine(int line, std::string_view key, std::string_view what) {
  std::string out = file_;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  out += ": ";
  out += key;
  out += ": ";
  out += what;
  lines_.push_back(std::move(out));
  line_numbers_.push_back(line);
}

void ConfigErrors::sortByLine() {
  std::vector<size_t> order(lines_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto key = [&](size_t i) {
    return line_numbers_[i] > 0 ? line_numbers_[i] : std::numeric_limits<int>::max();
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  std::vector<std::string> lines;
  std::vector<int> numbers;
  for (size_t i : order) {
    lines.push_back(std::move(lines_[i]));
    numbers.push_back(line_numbers_[i]);
  }
  lines_ = std::move(lines);
  line_numbers_ = std::move(numbers);
}

Error ConfigErrors::toError() const {
  std::string message;
  for (const auto& l : lines_) {
    if (!message.empty()) message += '\n';
    message += l;
  }
  return Error{ErrorKind::InvalidInput, std::move(message), {}};
}

namespace {
// yaml-cpp hands back "zombie" nodes for absent keys; assigning to one throws, so a missing or
// null section becomes a fresh empty map before it is stored.
YAML::Node mapOrEmpty(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull() || !node.IsMap()) return YAML::Node(YAML::NodeType::Map);
  return node;
}
}  // namespace

YamlMap::YamlMap(const YAML::Node& node, std::string path, ConfigErrors& errors)
    : node_(mapOrEmpty(node)), path_(std::move(path)), errors_(errors) {
  if (node.IsDefined() && !node.IsNull() && !node.IsMap()) {
    errors_.add(node, path_.empty() ? "(top level)" : path_, "must be a mapping of key: value");
    valid_ = false;
  }
}

std::string YamlMap::keyPath(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  std::string p = path_;
  p += '.';
  p += key;
  return p;
}

void YamlMap::error(std::string_view key, std::string_view what) {
  YAML::Node n = has(key) ? node_[std::string(key)] : node_;
  errors_.add(n, keyPath(key), what);
}

bool YamlMap::has(std::string_view key) const {
  const YAML::Node& n = node_;
  return n[std::string(key)].IsDefined();
}

void YamlMap::accept(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
    known_.emplace_back(key);
  }
}

YAML::Node YamlMap::child(std::string_view key) {
  accept(key);
  const YAML::Node& n = node_;
  return n[std::string(key)];
}

std::optional<std::string> YamlMap::requiredString(std::string_view key) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) {
    errors_.add(node_, keyPath(key), "is required");
    return std::nullopt;
  }
  if (!n.IsScalar()) {
    errors_.add(n, keyPath(key), "must be a text value");
    return std::nullopt;
  }
  return n.Scalar();
}

std::string YamlMap::string(std::string_view key, std::string fallback) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) return fallback;
  if (!n.IsScalar()) {
    errors_.add(n, keyPath(key), "must be a text value");
    return fallback;
  }
  return n.Scalar();
}

namespace {
std::optional<int64_t> parseInt(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t used = 0;
  try {
    int64_t v = std::stoll(text, &used, 10);
    if (used != text.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}
}  // namespace

std::optional<int64_t> YamlMap::requiredInt(std::string_view key, int64_t min, int64_t max) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) {
    errors_.add(node_, keyPath(key), "is required");
    return std::nullopt;
  }
  auto v = n.IsScalar() ? parseInt(n.Scalar()) : std::nullopt;
  if (!v) {
    errors_.add(n, keyPath(key), "must be a whole number");
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    errors_.add(n, keyPath(key),
                "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                    " (got " + std::to_string(*v) + ")");
    return std::nullopt;
  }
  return v;
}

int64_t YamlMap::integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
  if (!has(key) || node_[std::string(key)].IsNull()) {
    accept(key);
    return fallback;
  }
  return requiredInt(key, min, max).value_or(fallback);
}

bool YamlMap::boolean(std::string_view key, bool fallback) {
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) return fallback;
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  errors_.add(n, keyPath(key), "must be true or false");
  return fallback;
}

std::vector<std::string> YamlMap::stringList(std::string_view key) {
  std::vector<std::string> out;
  YAML::Node n = child(key);
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsSequence()) {
    errors_.add(n, keyPath(key), "must be a list");
    return out;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) {
      errors_.add(n[i], keyPath(key) + "[" + std::to_string(i) + "]", "must be a text value");
      continue;
    }
    out.push_back(n[i].Scalar());
  }
  return out;
}

void YamlMap::finish() {
  if (!valid_) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
      errors_.add(it->first, keyPath(key), "unknown key");
    }
  }
}

Result<YAML::Node> loadYamlFile(const std::string& path) {
  auto text = readTextFile(path, "file");
  if (!text.ok()) return text.error();
  return parseYamlText(text.value(), path);
}

Result<std::string> readTextFile(const std::string& path, std::string_view what) {
  std::ifstream in(path);
  if (!in) return Error{ErrorKind::NotFound, "cannot open " + std::string(what), path};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Result<YAML::Node> parseYamlText(const std::string& text, const std::string& file_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    std::string where = file_name;
    if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + 1);
    return Error{ErrorKind::InvalidInput, "YAML syntax: " + e.msg, where};
  }
}

std::string directoryOf(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string resolveRelative(const std::string& base_file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return directoryOf(base_file) + "/" + path;
}

}  // namespace callmesh::config
