#pragma once

// The router reads time zones through the shared tz code (shared/time/time_zone.h), which
// agent-presence's working hours use too: both follow daylight saving the same way.
#include "shared/time/time_zone.h"

namespace callmesh::router {
using tz::loadTimeZone;
using tz::LocalTime;
using tz::parseRfc3339;
using tz::TimeZone;
}  // namespace callmesh::router
