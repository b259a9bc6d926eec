#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace callmesh {

// What the caller should do next (KJ's Exception::Type taxonomy), so every service reacts the same
// way.
enum class ErrorKind {
  InvalidInput,  // the input is wrong: reject it, do not retry
  Overloaded,    // a limit was hit: retry later or reject with a busy code
  Disconnected,  // a peer or socket went away: reconnect, then retry
  Timeout,       // no answer within the deadline: retry if idempotent
  NotFound,      // the thing asked for does not exist
  Internal,      // a bug: log, count, keep running
};

std::string_view errorKindName(ErrorKind kind);

// An error value carried across a boundary (parse, config, network, Redis, decode).
// `message` says what is wrong; `context` says where (file:line, message type and field, peer).
struct Error {
  Error() = default;
  Error(ErrorKind k, std::string m, std::string c = {})
      : kind(k), message(std::move(m)), context(std::move(c)) {}

  ErrorKind kind = ErrorKind::Internal;
  std::string message;
  std::string context;

  // "context: message" when there is a context, else the message alone.
  std::string describe() const;
};

inline Error invalidInput(std::string message, std::string context = {}) {
  return Error{ErrorKind::InvalidInput, std::move(message), std::move(context)};
}

}  // namespace callmesh
