// routing.yaml `locations` and `schedules` (seed 000: scheduled routing; holidays close all day).
#include <chrono>
#include <cstdio>

#include "services/router/config_fields.h"
#include "services/router/routing_config_parser.h"

namespace callmesh::router {

void RoutingConfigParser::parseLocation(YamlMap& m) {
  Location loc;
  loc.id = readId(m, cfg_.locations, "location");
  if (auto tz = m.requiredString("time_zone")) loc.zone = zone(*tz, m, "time_zone");
  if (!loc.id.empty() && loc.zone) cfg_.locations.emplace(loc.id, std::move(loc));
}

void RoutingConfigParser::parseSchedule(YamlMap& m) {
  Schedule s;
  s.id = readId(m, cfg_.schedules, "schedule");
  s.zone = locationZone(m, true);
  s.hours = readWeeklyHours(m.child("hours"), m.keyPath("hours"), errors_);
  YAML::Node holidays = m.child("holidays");
  for (const auto& text : m.stringList("holidays")) {
    std::chrono::year_month_day ymd{};
    int y = 0, mo = 0, d = 0;
    char extra = 0;
    bool ok =
        std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &extra) == 3 && text.size() == 10;
    if (ok) {
      ymd = std::chrono::year{y} / std::chrono::month{static_cast<unsigned>(mo)} /
            std::chrono::day{static_cast<unsigned>(d)};
    }
    if (!ok || !ymd.ok()) {
      errors_.add(holidays, m.keyPath("holidays"), "'" + text + "' is not a date YYYY-MM-DD");
      continue;
    }
    s.holidays.insert(text);
  }
  if (!s.id.empty() && s.zone) cfg_.schedules.emplace(s.id, std::move(s));
}

}  // namespace callmesh::router
