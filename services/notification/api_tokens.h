#pragma once

// Bearer tokens of the HTTP API (issue 17 item 3). Only SHA-256 hashes of tokens are kept (the
// config's notification.tokens and the tokens file, a Kubernetes Secret mount); a presented token
// is hashed and the hash looked up, then compared in constant time. Tokens are never logged,
// never echoed in errors. tools/callmesh-token prints a new random token and its hash.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "services/notification/api_deps.h"
#include "shared/base/result.h"
#include "shared/config/cluster_config.h"

namespace callmesh::notification {

using TokenTable = std::map<std::string, config::ApiToken>;  // SHA-256 hex -> who

// SHA-256 of `token` as 64 lowercase hex digits.
std::string tokenHash(const std::string& token);

// The tokens file: one "<sha256 hex> <agent_id> [agent|admin]" per line; '#' comments and blank
// lines skipped. Errors name the line (`file:line`), never its hash.
Result<TokenTable> parseTokenFile(const std::string& text, const std::string& file_name);

// Who holds the token in an `Authorization: Bearer <token>` header value, from `table`.
// InvalidInput "missing 'Authorization: Bearer <token>' header" or NotFound "unknown bearer token".
Result<Principal> authenticateBearer(const TokenTable& table, const std::string& authorization);

// The token table in force: the config's hashes plus the tokens file's, swapped whole when the
// file changes (reloadIfChanged, called every second from the event loop). A file that fails to
// parse keeps the previous table and is reported. Thread-safe: requests read, one thread reloads.
class TokenBook {
 public:
  TokenBook(TokenTable configured, std::string file);

  Result<Principal> authenticate(const std::string& authorization) const;
  // Re-reads the file when its mtime, size or inode changed. Returns true when the table changed;
  // an error when the changed file could not be read or parsed (the old table stays).
  Result<bool> reloadIfChanged();
  // The agent registry's hashes (config/agent_registry.h), replacing the previous set; they win
  // over the config's and the file's. Called by the thread that calls reloadIfChanged.
  void setRegistry(TokenTable registry);
  size_t size() const;
  // Agent ids holding an agent-role token now.
  std::vector<std::string> agents() const;

 private:
  TokenTable configured_;
  std::string file_;
  struct Stamp {
    int64_t mtime_ns = -1;
    int64_t size = -1;
    uint64_t inode = 0;
    bool operator==(const Stamp& o) const {
      return mtime_ns == o.mtime_ns && size == o.size && inode == o.inode;
    }
  };
  Stamp stamp_;
  TokenTable file_tokens_;
  TokenTable registry_;
  void publish();
  mutable std::mutex mutex_;
  std::shared_ptr<const TokenTable> table_;
};

}  // namespace callmesh::notification
