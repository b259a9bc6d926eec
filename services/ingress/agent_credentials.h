#pragma once

// Agents' SIP credentials (issue 16 item 5): the secrets file a Kubernetes Secret mounts, one
// credential a line, HA1 only (never a password):
//
//   # user:realm:HA1      -- HA1 = H(user:realm:password), 32 hex digits = MD5, 64 = SHA-256
//   alice:callmesh:939e7578ed9e3c518a452acee763bce9
//   alice:callmesh:3ba6cd94661c5ef34598040e868a13b2b2d5ae3e7e3f7ef8ab2fd2e01e5c17b2
//
// An agent may have one line per algorithm. Errors name the file and line, never the HA1.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

#include "services/ingress/sip_digest.h"
#include "shared/base/result.h"

namespace callmesh::ingress {

class AgentCredentials {
 public:
  // Every mistake in one pass, "file:line: what is wrong", as InvalidInput.
  static Result<AgentCredentials> parse(std::string_view text, const std::string& file);
  // The stored HA1 (lower-case hex) for the user in the realm, or null.
  const std::string* ha1(const std::string& user, const std::string& realm,
                         DigestAlgorithm algorithm) const;
  size_t size() const { return ha1_.size(); }

 private:
  std::map<std::tuple<std::string, std::string, DigestAlgorithm>, std::string> ha1_;
};

// The credentials file as mounted, re-read when it changes (checked by the caller, e.g. once a
// second): device, inode, size and mtime through symlinks, so the kubelet's atomic `..data` swap
// is noticed. A file that does not load keeps the previous credentials in force.
class CredentialsFile {
 public:
  explicit CredentialsFile(std::string path) : path_(std::move(path)) {}
  // Loaded (true) when the file changed and parsed; an error when it changed and did not (the
  // old credentials stay); false when unchanged.
  Result<bool> reloadIfChanged();
  const AgentCredentials& credentials() const { return credentials_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string signature_;  // of the last file read, loaded or not
  AgentCredentials credentials_;
};

}  // namespace callmesh::ingress
