#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "shared/base/result.h"

namespace callmesh::config {

// Collects every mistake found in one config file, each as `file:line: key: what is wrong`,
// so an operator fixes them all in one pass instead of one per restart.
class ConfigErrors {
 public:
  explicit ConfigErrors(std::string file) : file_(std::move(file)) {}

  void add(const YAML::Node& node, std::string_view key, std::string_view what);
  void addAtLine(int line, std::string_view key, std::string_view what);
  bool empty() const { return lines_.empty(); }
  // Puts the errors in file-line order (stable: one line's errors keep the order they were found;
  // those with no line come last). A loader that checks section by section, then references,
  // then loops, finds them out of order; the operator reads the file top to bottom.
  void sortByLine();
  const std::vector<std::string>& lines() const { return lines_; }
  const std::string& file() const { return file_; }
  // One InvalidInput error whose message holds every line, newline-separated.
  Error toError() const;

 private:
  std::string file_;
  std::vector<std::string> lines_;
  std::vector<int> line_numbers_;  // the file line of each entry of lines_; <= 0 when unknown
};

// A typed, strict view of one YAML mapping. Every getter records a precise error instead of
// throwing; `finish()` rejects keys nobody asked for (userver's additionalProperties: false).
class YamlMap {
 public:
  YamlMap(const YAML::Node& node, std::string path, ConfigErrors& errors);

  bool valid() const { return valid_; }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  ConfigErrors& errors() { return errors_; }

  bool has(std::string_view key) const;
  std::string keyPath(std::string_view key) const;
  // The child node (marks the key as known). Undefined node when absent.
  YAML::Node child(std::string_view key);

  std::optional<std::string> requiredString(std::string_view key);
  std::string string(std::string_view key, std::string fallback);
  std::optional<int64_t> requiredInt(std::string_view key, int64_t min, int64_t max);
  int64_t integer(std::string_view key, int64_t fallback, int64_t min, int64_t max);
  bool boolean(std::string_view key, bool fallback);
  std::vector<std::string> stringList(std::string_view key);

  // Marks a key as known without reading it (read elsewhere).
  void accept(std::string_view key);
  // Records an error for every key that no getter touched.
  void finish();

  void error(std::string_view key, std::string_view what);

 private:
  YAML::Node node_;
  std::string path_;
  ConfigErrors& errors_;
  std::vector<std::string> known_;
  bool valid_ = true;
};

// Loads a YAML file; a syntax error comes back as `file:line: what yaml-cpp said`.
Result<YAML::Node> loadYamlFile(const std::string& path);
// The whole of a file as text; NotFound "cannot open <what>" (context: the path) when it cannot
// be read. Loaders that hash or re-parse the bytes read them with this.
Result<std::string> readTextFile(const std::string& path, std::string_view what);
// Parses YAML text; a syntax error is InvalidInput "YAML syntax: ..." with context `file:line`.
Result<YAML::Node> parseYamlText(const std::string& text, const std::string& file_name);

// 1-based line of a node for messages (yaml-cpp marks are 0-based; -1 when unknown).
int lineOf(const YAML::Node& node);

// Folder of a path, for resolving files named relative to a config file.
std::string directoryOf(const std::string& path);
std::string resolveRelative(const std::string& base_file, const std::string& path);

}  // namespace callmesh::config
