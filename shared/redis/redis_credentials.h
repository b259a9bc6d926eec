#pragma once

#include <string>

#include "shared/base/result.h"

namespace callmesh::redis {

// A service's Redis ACL user (docs/redis-acl.md). Sent as `AUTH user password` on every
// (re)connect, so a password rotated in the Secret applies at the next reconnect after restart.
struct RedisCredentials {
  std::string user;
  std::string password;
  bool empty() const { return user.empty(); }
};

// The secrets file's text: one line `user:password` (the password may itself hold ':'); blank
// lines and lines starting with '#' are skipped; a trailing newline or CR is not part of the
// password. Exactly one credential line; user and password non-empty, without spaces in the user.
// Errors name `where` (the file) but never echo the password.
Result<RedisCredentials> parseCredentials(const std::string& text, const std::string& where);

// Reads and parses the file at `path`.
Result<RedisCredentials> loadCredentials(const std::string& path);

}  // namespace callmesh::redis
