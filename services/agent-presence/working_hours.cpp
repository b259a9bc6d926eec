#include "services/agent-presence/working_hours.h"

#include <algorithm>

namespace callmesh::agent_presence {

bool inWorkingHours(const config::AgentHours& hours, int64_t utc_ms) {
  if (hours.working_hours.empty()) return true;
  int weekday = 0;
  int minute = 0;
  if (hours.zone) {
    // The agent's wall clock in its IANA zone: 09:00 stays 09:00 across daylight saving.
    tz::LocalTime local = hours.zone->toLocal(utc_ms);
    weekday = local.weekday;
    minute = local.minute_of_day;
  } else {
    int64_t local_min = utc_ms / 60000 + hours.utc_offset_minutes;
    int64_t day_number = local_min >= 0 ? local_min / 1440 : (local_min - 1439) / 1440;
    minute = static_cast<int>(local_min - day_number * 1440);
    // 1970-01-01 was a Thursday (index 3 with Monday = 0).
    weekday = static_cast<int>(((day_number % 7) + 7 + 3) % 7);
  }
  for (const auto& r : hours.working_hours) {
    bool today = std::find(r.days.begin(), r.days.end(), weekday) != r.days.end();
    if (today && minute >= r.from_minute && minute < r.to_minute) return true;
  }
  return false;
}

}  // namespace callmesh::agent_presence
