#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "services/router/routing_table.h"
#include "services/router/schedule.h"
#include "shared/config/yaml_reader.h"

namespace callmesh::router {

// Readers for the value kinds routing.yaml repeats (phone numbers, day-and-time ranges, "where the
// call goes next"). Each records `file:line: key: what is wrong` in the map's ConfigErrors and
// returns an empty value on error, so one pass reports every mistake.

// A required phone number in any common written form, normalised to E.164.
std::string readPhoneNumber(config::YamlMap& m, const std::string& key);
// An optional one; "" when absent.
std::string readOptionalPhoneNumber(config::YamlMap& m, const std::string& key);

// `[{days: mon-fri, from: "09:00", to: "17:00"}, ...]`; `days` is a name, a range "mon-fri",
// "daily", or a list of names.
WeeklyHours readWeeklyHours(const YAML::Node& node, const std::string& path,
                            config::ConfigErrors& errors);

// `hangup`, or a mapping with exactly one of number / voice_menu / virtual_agent / queue /
// geo_router / agent. References are resolved later, when every section is known.
std::optional<Destination> readDestination(const YAML::Node& node, const std::string& path,
                                           config::ConfigErrors& errors);

bool isSipUri(const std::string& uri);

// A word naming one of an enum's values (`strategy: round_robin`); absent = `fallback`, which must
// be one of `choices`. Any other word is "must be a, b or c" and reads as `fallback`.
template <typename E>
E readChoice(config::YamlMap& m, std::string_view key, E fallback,
             std::initializer_list<std::pair<const char*, E>> choices) {
  const char* fallback_name = "";
  std::string expected;
  size_t i = 0;
  for (const auto& [name, value] : choices) {
    if (value == fallback) fallback_name = name;
    expected += std::string(i == 0 ? "" : (i + 1 == choices.size() ? " or " : ", ")) + name;
    ++i;
  }
  std::string text = m.string(key, fallback_name);
  for (const auto& [name, value] : choices) {
    if (text == name) return value;
  }
  m.error(key, "must be " + expected);
  return fallback;
}

}  // namespace callmesh::router
