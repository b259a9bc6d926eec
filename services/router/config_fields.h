#pragma once

#include <optional>
#include <string>

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

}  // namespace callmesh::router
