#include "shared/base/error.h"

namespace callmesh {

std::string_view errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidInput:
      return "invalid_input";
    case ErrorKind::Overloaded:
      return "overloaded";
    case ErrorKind::Disconnected:
      return "disconnected";
    case ErrorKind::Timeout:
      return "timeout";
    case ErrorKind::NotFound:
      return "not_found";
    case ErrorKind::Internal:
      return "internal";
  }
  return "unknown";
}

std::string Error::describe() const {
  if (context.empty()) {
    return message;
  }
  return context + ": " + message;
}

}  // namespace callmesh
