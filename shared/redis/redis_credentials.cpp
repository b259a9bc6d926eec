#include "shared/redis/redis_credentials.h"

#include <fstream>
#include <sstream>

namespace callmesh::redis {

namespace {

// Bounds the secret file: a credential line is short; anything bigger is the wrong file.
constexpr size_t kMaxFileBytes = 4096;

}  // namespace

Result<RedisCredentials> parseCredentials(const std::string& text, const std::string& where) {
  if (text.size() > kMaxFileBytes)
    return invalidInput("longer than " + std::to_string(kMaxFileBytes) + " bytes", where);
  std::istringstream in(text);
  std::string line;
  RedisCredentials out;
  int lines = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (++lines > 1) return invalidInput("more than one user:password line", where);
    auto colon = line.find(':');
    if (colon == std::string::npos) return invalidInput("expected user:password", where);
    out.user = line.substr(0, colon);
    out.password = line.substr(colon + 1);
    if (out.user.empty() || out.user.find_first_of(" \t") != std::string::npos)
      return invalidInput("the user name is empty or holds a space", where);
    if (out.password.empty()) return invalidInput("the password is empty", where);
  }
  if (lines == 0) return invalidInput("no user:password line", where);
  return out;
}

Result<RedisCredentials> loadCredentials(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Error{ErrorKind::NotFound, "cannot open the Redis credentials file", path};
  std::string text;
  text.resize(kMaxFileBytes + 1);
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(f.gcount()));
  return parseCredentials(text, path);
}

}  // namespace callmesh::redis
