#include "services/router/config_fields.h"

#include "services/router/phone_number.h"

namespace callmesh::router {

using config::ConfigErrors;
using config::YamlMap;

bool isSipUri(const std::string& uri) {
  return uri.rfind("sip:", 0) == 0 || uri.rfind("sips:", 0) == 0;
}

std::string readPhoneNumber(YamlMap& m, const std::string& key) {
  auto text = m.requiredString(key);
  if (!text) return {};
  auto e164 = toE164(*text);
  if (!e164.ok()) {
    m.error(key, e164.error().message);
    return {};
  }
  return e164.value();
}

std::string readOptionalPhoneNumber(YamlMap& m, const std::string& key) {
  if (!m.has(key)) {
    m.accept(key);
    return {};
  }
  return readPhoneNumber(m, key);
}

namespace {

// Bit mask of weekdays from "mon", "mon-fri", "daily" or a list of those.
uint8_t readDays(const YAML::Node& node, const std::string& key, ConfigErrors& errors) {
  auto one = [&](const std::string& text) -> uint8_t {
    if (text == "daily") return 0x7f;
    auto dash = text.find('-');
    if (dash != std::string::npos) {
      int from = weekdayFromName(text.substr(0, dash));
      int to = weekdayFromName(text.substr(dash + 1));
      if (from < 0 || to < 0 || from > to) return 0;
      uint8_t mask = 0;
      for (int d = from; d <= to; ++d) mask |= static_cast<uint8_t>(1u << d);
      return mask;
    }
    int d = weekdayFromName(text);
    return d < 0 ? 0 : static_cast<uint8_t>(1u << d);
  };
  uint8_t mask = 0;
  auto bad = [&](const YAML::Node& n, const std::string& text) {
    errors.add(n, key, "'" + text + "' is not a day (mon..sun), a range like mon-fri, or daily");
  };
  if (node.IsScalar()) {
    mask = one(node.Scalar());
    if (mask == 0) bad(node, node.Scalar());
  } else if (node.IsSequence() && node.size() > 0) {
    for (size_t i = 0; i < node.size(); ++i) {
      uint8_t m = node[i].IsScalar() ? one(node[i].Scalar()) : 0;
      if (m == 0) {
        bad(node[i], node[i].IsScalar() ? node[i].Scalar() : "(not text)");
        return 0;
      }
      mask |= m;
    }
  } else {
    errors.add(node, key, "must be a day, a range like mon-fri, daily, or a list of days");
  }
  return mask;
}

}  // namespace

WeeklyHours readWeeklyHours(const YAML::Node& node, const std::string& path, ConfigErrors& errors) {
  WeeklyHours hours;
  if (!node.IsSequence() || node.size() == 0) {
    errors.add(node, path, "must list at least one {days, from, to} range");
    return hours;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    std::string item = path + "[" + std::to_string(i) + "]";
    YamlMap m(node[i], item, errors);
    DayTimeRange r;
    YAML::Node days = m.child("days");
    if (!days.IsDefined() || days.IsNull()) {
      m.error("days", "is required");
    } else {
      r.days = readDays(days, m.keyPath("days"), errors);
    }
    auto clock = [&](const char* key) -> int {
      auto text = m.requiredString(key);
      if (!text) return -1;
      auto minutes = minutesFromClock(*text);
      if (!minutes) {
        m.error(key, "'" + *text + "' is not a time of day HH:MM (00:00..24:00)");
        return -1;
      }
      return *minutes;
    };
    r.from_minute = clock("from");
    r.to_minute = clock("to");
    if (r.from_minute >= 0 && r.to_minute >= 0 && r.from_minute >= r.to_minute) {
      m.error("to", "must be later than from; write an overnight span as two ranges");
    }
    m.finish();
    if (r.days != 0 && r.from_minute >= 0 && r.to_minute > r.from_minute) {
      hours.ranges.push_back(r);
    }
  }
  return hours;
}

std::optional<Destination> readDestination(const YAML::Node& node, const std::string& path,
                                           ConfigErrors& errors) {
  Destination d;
  d.line = config::lineOf(node);
  if (node.IsScalar() && (node.Scalar() == "hangup" || node.Scalar() == "busy")) {
    return d;
  }
  static const std::pair<const char*, Destination::Kind> kKinds[] = {
      {"number", Destination::Kind::ReceivingNumber},
      {"voice_menu", Destination::Kind::VoiceMenu},
      {"virtual_agent", Destination::Kind::VirtualAgent},
      {"queue", Destination::Kind::Queue},
      {"geo_router", Destination::Kind::GeoRouter},
      {"agent", Destination::Kind::Agent},
  };
  const char* kExpected =
      "must be hangup, or one of {number | voice_menu | virtual_agent | queue | geo_router | "
      "agent: ...}";
  if (!node.IsMap() || node.size() != 1) {
    errors.add(node, path, kExpected);
    return std::nullopt;
  }
  const std::string key = node.begin()->first.Scalar();
  const YAML::Node value = node.begin()->second;
  std::string key_path = path + "." + key;
  for (const auto& [name, kind] : kKinds) {
    if (key != name) continue;
    if (!value.IsScalar() || value.Scalar().empty()) {
      errors.add(value, key_path, "must be a text value");
      return std::nullopt;
    }
    d.kind = kind;
    d.ref = value.Scalar();
    if (kind == Destination::Kind::ReceivingNumber) {
      YamlMap m(node, path, errors);
      d.ref = readPhoneNumber(m, "number");
      if (d.ref.empty()) return std::nullopt;
    }
    return d;
  }
  errors.add(node.begin()->first, key_path, std::string("unknown destination; ") + kExpected);
  return std::nullopt;
}

}  // namespace callmesh::router
