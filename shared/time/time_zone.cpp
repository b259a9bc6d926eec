#include "shared/time/time_zone.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace callmesh::tz {

namespace {

constexpr int64_t kSecondsPerDay = 86400;

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Big-endian readers over the TZif bytes; `pos` advances. Callers check sizes first.
uint32_t readU32(std::string_view b, size_t pos) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[pos])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[pos + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[pos + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[pos + 3]));
}

int64_t readI64(std::string_view b, size_t pos) {
  uint64_t hi = readU32(b, pos);
  uint64_t lo = readU32(b, pos + 4);
  return static_cast<int64_t>((hi << 32) | lo);
}

struct TzifCounts {
  uint32_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
};

TzifCounts readCounts(std::string_view b, size_t header) {
  TzifCounts c;
  c.isut = readU32(b, header + 20);
  c.isstd = readU32(b, header + 24);
  c.leap = readU32(b, header + 28);
  c.time = readU32(b, header + 32);
  c.type = readU32(b, header + 36);
  c.chars = readU32(b, header + 40);
  return c;
}

constexpr size_t kHeaderSize = 44;

size_t blockSize(const TzifCounts& c, size_t time_size) {
  return c.time * time_size + c.time + c.type * 6 + c.chars + c.leap * (time_size + 4) + c.isstd +
         c.isut;
}

// POSIX TZ pieces. `text` is consumed from the front.
bool parseName(std::string_view& text) {
  if (!text.empty() && text.front() == '<') {
    auto close = text.find('>');
    if (close == std::string_view::npos) return false;
    text.remove_prefix(close + 1);
    return true;
  }
  size_t n = 0;
  while (n < text.size() && std::isalpha(static_cast<unsigned char>(text[n]))) ++n;
  if (n < 3) return false;
  text.remove_prefix(n);
  return true;
}

bool parseNumber(std::string_view& text, int& out) {
  size_t n = 0;
  int v = 0;
  while (n < text.size() && std::isdigit(static_cast<unsigned char>(text[n]))) {
    v = v * 10 + (text[n] - '0');
    ++n;
  }
  if (n == 0) return false;
  text.remove_prefix(n);
  out = v;
  return true;
}

// [+-]hh[:mm[:ss]] in seconds.
bool parseClock(std::string_view& text, int& seconds) {
  int sign = 1;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    if (text.front() == '-') sign = -1;
    text.remove_prefix(1);
  }
  int h = 0, m = 0, s = 0;
  if (!parseNumber(text, h)) return false;
  if (!text.empty() && text.front() == ':') {
    text.remove_prefix(1);
    if (!parseNumber(text, m)) return false;
    if (!text.empty() && text.front() == ':') {
      text.remove_prefix(1);
      if (!parseNumber(text, s)) return false;
    }
  }
  seconds = sign * (h * 3600 + m * 60 + s);
  return true;
}

// ",Mm.w.d[/time]"; only the M form is used by the tz database footers we ship.
bool parseMonthRule(std::string_view& text, int& month, int& week, int& weekday, int& time_s) {
  if (text.size() < 2 || text[0] != ',' || text[1] != 'M') return false;
  text.remove_prefix(2);
  if (!parseNumber(text, month) || text.empty() || text.front() != '.') return false;
  text.remove_prefix(1);
  if (!parseNumber(text, week) || text.empty() || text.front() != '.') return false;
  text.remove_prefix(1);
  if (!parseNumber(text, weekday)) return false;
  time_s = 2 * 3600;
  if (!text.empty() && text.front() == '/') {
    text.remove_prefix(1);
    if (!parseClock(text, time_s)) return false;
  }
  return month >= 1 && month <= 12 && week >= 1 && week <= 5 && weekday >= 0 && weekday <= 6;
}

// Local midnight (as days since the epoch) of the w-th (5 = last) `weekday` (0 = Sunday) of a
// month.
int64_t ruleDay(int year, int month, int week, int weekday) {
  using namespace std::chrono;
  const std::chrono::weekday wd{static_cast<unsigned>(weekday)};
  sys_days day;
  if (week == 5) {
    day = sys_days{year_month_weekday_last{std::chrono::year{year},
                                           std::chrono::month{static_cast<unsigned>(month)},
                                           weekday_last{wd}}};
  } else {
    day = sys_days{year_month_weekday{std::chrono::year{year},
                                      std::chrono::month{static_cast<unsigned>(month)},
                                      weekday_indexed{wd, static_cast<unsigned>(week)}}};
  }
  return day.time_since_epoch().count();
}

int yearOf(int64_t utc_s) {
  using namespace std::chrono;
  sys_days d{days{floorDiv(utc_s, kSecondsPerDay)}};
  return static_cast<int>(year_month_day{d}.year());
}

}  // namespace

std::string LocalTime::date() const {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

std::string LocalTime::describe() const {
  static constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  int off = utc_offset_s;
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s %s %02d:%02d UTC%c%02d:%02d", date().c_str(),
                kDays[weekday % 7], minute_of_day / 60, minute_of_day % 60, sign, off / 3600,
                (off % 3600) / 60);
  return buf;
}

TimeZone::PosixRule TimeZone::parsePosixRule(std::string_view text) {
  PosixRule r;
  int std_west = 0;
  if (!parseName(text) || !parseClock(text, std_west)) return r;
  r.std_offset_s = -std_west;  // POSIX offsets count west of Greenwich
  if (text.empty()) {
    r.valid = true;
    return r;
  }
  if (!parseName(text)) return r;
  r.has_dst = true;
  r.dst_offset_s = r.std_offset_s + 3600;
  if (!text.empty() && text.front() != ',') {
    int dst_west = 0;
    if (!parseClock(text, dst_west)) return r;
    r.dst_offset_s = -dst_west;
  }
  if (!parseMonthRule(text, r.start_month, r.start_week, r.start_weekday, r.start_time_s)) return r;
  if (!parseMonthRule(text, r.end_month, r.end_week, r.end_weekday, r.end_time_s)) return r;
  r.valid = text.empty();
  return r;
}

int TimeZone::posixOffsetAt(const PosixRule& rule, int64_t utc_s) {
  if (!rule.has_dst) return rule.std_offset_s;
  int year = yearOf(utc_s + rule.std_offset_s);
  // Daylight time starts at a local standard-time clock reading and ends at a daylight one.
  int64_t start =
      ruleDay(year, rule.start_month, rule.start_week, rule.start_weekday) * kSecondsPerDay +
      rule.start_time_s - rule.std_offset_s;
  int64_t end = ruleDay(year, rule.end_month, rule.end_week, rule.end_weekday) * kSecondsPerDay +
                rule.end_time_s - rule.dst_offset_s;
  bool dst = start < end ? (utc_s >= start && utc_s < end)    // northern hemisphere
                         : !(utc_s >= end && utc_s < start);  // southern: DST spans new year
  return dst ? rule.dst_offset_s : rule.std_offset_s;
}

Result<TimeZone> TimeZone::fromTzif(std::string name, std::string_view b) {
  auto bad = [&](const std::string& what) {
    return invalidInput("time zone file for '" + name + "' is not valid TZif: " + what);
  };
  if (b.size() < kHeaderSize || b.substr(0, 4) != "TZif") return bad("no TZif header");
  if (b[4] < '2') return bad("version 1 files are not supported (no 64-bit data)");
  TzifCounts v1 = readCounts(b, 0);
  size_t header2 = kHeaderSize + blockSize(v1, 4);
  if (b.size() < header2 + kHeaderSize || b.substr(header2, 4) != "TZif") {
    return bad("truncated before the 64-bit header");
  }
  TzifCounts c = readCounts(b, header2);
  size_t pos = header2 + kHeaderSize;
  if (b.size() < pos + blockSize(c, 8)) return bad("truncated 64-bit data");
  if (c.type == 0) return bad("no local time types");

  TimeZone tz;
  tz.name_ = std::move(name);
  tz.transitions_.reserve(c.time);
  for (uint32_t i = 0; i < c.time; ++i) tz.transitions_.push_back(readI64(b, pos + 8 * i));
  pos += 8 * c.time;
  for (uint32_t i = 0; i < c.time; ++i) {
    auto idx = static_cast<uint8_t>(b[pos + i]);
    if (idx >= c.type) return bad("transition names a missing local time type");
    tz.transition_types_.push_back(idx);
  }
  pos += c.time;
  for (uint32_t i = 0; i < c.type; ++i) {
    tz.type_offsets_.push_back(static_cast<int32_t>(readU32(b, pos + 6 * i)));
  }
  // RFC 8536 section 3.2: instants before the first transition use local time type 0.
  tz.initial_offset_ = tz.type_offsets_.front();
  pos += 6 * c.type + c.chars + c.leap * 12 + c.isstd + c.isut;
  // Footer: "\n<POSIX TZ>\n".
  if (pos < b.size() && b[pos] == '\n') {
    auto end = b.find('\n', pos + 1);
    if (end != std::string_view::npos) {
      tz.footer_ = parsePosixRule(b.substr(pos + 1, end - pos - 1));
    }
  }
  return tz;
}

TimeZone TimeZone::fixed(std::string name, int utc_offset_s) {
  TimeZone tz;
  tz.name_ = std::move(name);
  tz.initial_offset_ = utc_offset_s;
  tz.footer_.valid = true;
  tz.footer_.std_offset_s = utc_offset_s;
  return tz;
}

int TimeZone::utcOffsetAt(int64_t utc_s) const {
  if (transitions_.empty()) return footer_.valid ? posixOffsetAt(footer_, utc_s) : initial_offset_;
  if (utc_s < transitions_.front()) return initial_offset_;
  if (utc_s >= transitions_.back() && footer_.valid) return posixOffsetAt(footer_, utc_s);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_s);
  size_t idx = static_cast<size_t>(it - transitions_.begin()) - 1;
  return type_offsets_[transition_types_[idx]];
}

LocalTime TimeZone::toLocal(int64_t utc_ms) const {
  using namespace std::chrono;
  int64_t utc_s = floorDiv(utc_ms, 1000);
  LocalTime lt;
  lt.utc_offset_s = utcOffsetAt(utc_s);
  int64_t local_s = utc_s + lt.utc_offset_s;
  int64_t day_count = floorDiv(local_s, kSecondsPerDay);
  sys_days d{days{day_count}};
  year_month_day ymd{d};
  lt.year = static_cast<int>(ymd.year());
  lt.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  lt.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  lt.weekday = static_cast<int>(std::chrono::weekday{d}.iso_encoding()) - 1;
  lt.minute_of_day = static_cast<int>((local_s - day_count * kSecondsPerDay) / 60);
  return lt;
}

Result<int64_t> parseRfc3339(std::string_view text) {
  using namespace std::chrono;
  std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  auto bad = [&] { return invalidInput("'" + s + "' is not a time like 2026-11-22T10:00:00Z"); };
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &used) != 5) {
    return bad();
  }
  std::string_view rest = text.substr(static_cast<size_t>(used));
  if (!rest.empty() && rest.front() == ':') {
    rest.remove_prefix(1);
    int n = 0;
    if (!parseNumber(rest, n)) return bad();
    sec = n;
  }
  int offset_s = 0;
  if (rest == "Z" || rest == "z") {
    offset_s = 0;
  } else if (!rest.empty() && (rest.front() == '+' || rest.front() == '-')) {
    if (!parseClock(rest, offset_s) || !rest.empty()) return bad();
  } else {
    return bad();
  }
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return bad();
  int64_t days_since = sys_days{ymd}.time_since_epoch().count();
  return (days_since * kSecondsPerDay + h * 3600 + mi * 60 + sec - offset_s) * 1000;
}

Result<std::shared_ptr<const TimeZone>> loadTimeZone(const std::string& name,
                                                     const std::string& zoneinfo_dir) {
  if (name == "UTC" || name == "Etc/UTC") {
    return std::make_shared<const TimeZone>(TimeZone::fixed(name, 0));
  }
  bool safe = !name.empty() && name.front() != '/' && name.find("..") == std::string::npos;
  for (char ch : name) {
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '/' || ch == '_' || ch == '-' ||
          ch == '+')) {
      safe = false;
    }
  }
  if (!safe) return invalidInput("'" + name + "' is not an IANA time zone name");
  std::ifstream in(zoneinfo_dir + "/" + name, std::ios::binary);
  if (!in) {
    return invalidInput("unknown time zone '" + name + "' (not in " + zoneinfo_dir + ")");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto tz = TimeZone::fromTzif(name, buffer.str());
  if (!tz.ok()) return tz.error();
  return std::make_shared<const TimeZone>(std::move(tz.value()));
}

}  // namespace callmesh::tz
