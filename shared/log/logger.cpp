#include "shared/log/logger.h"

#include <unistd.h>
#include <chrono>

#include <cstdio>

namespace callmesh {

namespace {
std::string_view levelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
  }
  return "info";
}
}  // namespace

void appendJsonAsciiEscaped(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20 || c >= 0x7f) {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      } else {
        out += static_cast<char>(c);
      }
  }
}

void appendJsonEscaped(std::string& out, std::string_view text) {
  // Wire bytes may be anything; keep the log line valid JSON and ASCII: bytes from 0x7f up as
  // \u00XX too.
  for (char raw : text) appendJsonAsciiEscaped(out, static_cast<unsigned char>(raw));
}

LogLevel parseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::Debug;
  if (name == "warn") return LogLevel::Warn;
  if (name == "error") return LogLevel::Error;
  return LogLevel::Info;
}

Logger::Logger(std::string service, LogLevel level) : service_(std::move(service)), level_(level) {
  flusher_ = std::thread([this] {
    // Sleeps until a line is buffered, then lets the next 200 ms of lines join it in one write:
    // a line reaches stderr within 200 ms, and an idle service is not woken five times a second
    // for nothing (tools/bench/idle_cluster.py).
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait(lock, [this] { return stopping_ || !buffer_.empty(); });
      wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; });
      writeLocked();
    }
  });
}

Logger::~Logger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  flusher_.join();
  std::lock_guard lock(mutex_);
  writeLocked();
}

void Logger::flush() {
  std::lock_guard lock(mutex_);
  writeLocked();
}

void Logger::writeLocked() {
  size_t off = 0;
  while (off < buffer_.size()) {
    ssize_t n = ::write(2, buffer_.data() + off, buffer_.size() - off);
    if (n <= 0) break;  // stderr gone: nothing better to do with the lines
    off += static_cast<size_t>(n);
  }
  buffer_.clear();
}

void Logger::log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!enabled(level)) {
    return;
  }
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::string line;
  line.reserve(256);
  line += "{\"ts\":";
  line += std::to_string(now_ms);
  line += ",\"level\":\"";
  line += levelName(level);
  line += "\",\"service\":\"";
  appendJsonEscaped(line, service_);
  line += "\",\"event\":\"";
  appendJsonEscaped(line, event);
  line += '"';
  for (const auto& f : fields) {
    line += ",\"";
    appendJsonEscaped(line, f.key);
    line += "\":";
    if (f.is_number) {
      line += std::to_string(f.number);
    } else {
      line += '"';
      appendJsonEscaped(line, f.text);
      line += '"';
    }
  }
  line += "}\n";
  std::lock_guard lock(mutex_);
  bool first = buffer_.empty();
  buffer_ += line;
  if (level >= LogLevel::Warn || buffer_.size() >= 32 * 1024) {
    writeLocked();
  } else if (first) {
    wake_.notify_one();  // the flusher sleeps while nothing is buffered
  }
}

}  // namespace callmesh
