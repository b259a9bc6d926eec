#pragma once

#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace callmesh {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 };

// One field of a structured log line. Numbers are written bare, text is JSON-escaped.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), text(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), text(v) {}
  LogField(std::string_view k, const char* v) : key(k), text(v ? v : "") {}
  LogField(std::string_view k, int64_t v) : key(k), number(v), is_number(true) {}
  LogField(std::string_view k, int v) : key(k), number(v), is_number(true) {}
  LogField(std::string_view k, uint64_t v)
      : key(k), number(static_cast<int64_t>(v)), is_number(true) {}

  std::string_view key;
  std::string_view text;
  int64_t number = 0;
  bool is_number = false;
};

// Writes one JSON object per line to stderr: {"ts":..,"level":..,"service":..,"event":..,
// fields...}. Thread-safe; the one sink of the process, handed to whoever logs (no global logger).
// Lines are buffered and written by a flusher thread every 200 ms (or when 32 KB wait), so a
// busy service makes a few writes a second instead of one per call event; warnings and errors
// are written at once. At most the last 200 ms of info lines are lost if the process is killed.
class Logger {
 public:
  explicit Logger(std::string service, LogLevel level = LogLevel::Info);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void flush();

  void setLevel(LogLevel level) { level_ = level; }
  bool enabled(LogLevel level) const { return level >= level_; }

  void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});
  void debug(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::Debug, event, fields);
  }
  void info(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::Info, event, fields);
  }
  void warn(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::Warn, event, fields);
  }
  void error(std::string_view event, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::Error, event, fields);
  }

 private:
  void writeLocked();

  std::string service_;
  LogLevel level_;
  std::mutex mutex_;
  std::string buffer_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread flusher_;
};

// Appends `text` to `out` as JSON string content (without quotes).
void appendJsonEscaped(std::string& out, std::string_view text);
// One byte as a JSON string holds it: `"`, `\` and the controls escaped (\b \f \n \r \t, others
// \u00XX), bytes from 0x7f up as \u00XX, the rest as they are. Shared by the logger and the
// notification's JSON text (services/notification/json_text.cpp), which gives bytes from 0x80 up
// its own UTF-8 handling.
void appendJsonAsciiEscaped(std::string& out, unsigned char c);

// Parses "debug" | "info" | "warn" | "error"; Info for anything else.
LogLevel parseLogLevel(std::string_view name);

}  // namespace callmesh
