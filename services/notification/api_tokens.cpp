#include "services/notification/api_tokens.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace callmesh::notification {

std::string tokenHash(const std::string& token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(token.data(), token.size(), digest, &len, EVP_sha256(), nullptr) != 1) return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xf]);
  }
  return out;
}

Result<TokenTable> parseTokenFile(const std::string& text, const std::string& file_name) {
  TokenTable out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  auto bad = [&](const std::string& what) {
    return Error{ErrorKind::InvalidInput, what, file_name + ":" + std::to_string(n)};
  };
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream fields(line);
    std::string hash, agent, role, extra;
    fields >> hash >> agent >> role >> extra;
    if (!config::isTokenHash(hash)) {
      return bad(
          "first field is not a token hash (64 lowercase hex digits of SHA-256; "
          "tools/callmesh-token makes one); the line is not shown");
    }
    if (agent.empty()) return bad("missing agent id after the hash");
    if (!extra.empty()) return bad("expected '<hash> <agent_id> [agent|admin]'");
    config::ApiToken tok{agent, config::ApiRole::Agent};
    if (role == "admin") {
      tok.role = config::ApiRole::Admin;
    } else if (!role.empty() && role != "agent") {
      return bad("role must be agent or admin");
    }
    if (out.count(hash)) return bad("the same hash is listed twice");
    out[hash] = tok;
  }
  return out;
}

Result<Principal> authenticateBearer(const TokenTable& table, const std::string& authorization) {
  static const std::string prefix = "Bearer ";
  if (authorization.rfind(prefix, 0) != 0 || authorization.size() == prefix.size()) {
    return Error{ErrorKind::InvalidInput, "missing 'Authorization: Bearer <token>' header",
                 "Authorization"};
  }
  std::string presented = tokenHash(authorization.substr(prefix.size()));
  // Looking up the hash leaks nothing about a token (an attacker controls only its preimage);
  // the final comparison is constant time anyway.
  auto it = table.find(presented);
  if (presented.size() != 64 || it == table.end() ||
      CRYPTO_memcmp(it->first.data(), presented.data(), presented.size()) != 0) {
    return Error{ErrorKind::NotFound, "unknown bearer token", "Authorization"};
  }
  return Principal{it->second.agent_id, it->second.role == config::ApiRole::Admin};
}

TokenBook::TokenBook(TokenTable configured, std::string file)
    : configured_(std::move(configured)),
      file_(std::move(file)),
      table_(std::make_shared<const TokenTable>(configured_)) {}

Result<Principal> TokenBook::authenticate(const std::string& authorization) const {
  std::shared_ptr<const TokenTable> table;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    table = table_;
  }
  return authenticateBearer(*table, authorization);
}

size_t TokenBook::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return table_->size();
}

std::vector<std::string> TokenBook::agents() const {
  std::shared_ptr<const TokenTable> table;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    table = table_;
  }
  std::vector<std::string> out;
  for (const auto& [hash, who] : *table) {
    if (who.role == config::ApiRole::Agent) out.push_back(who.agent_id);
  }
  return out;
}

Result<bool> TokenBook::reloadIfChanged() {
  if (file_.empty()) return false;
  struct stat st {};
  Stamp now;
  if (::stat(file_.c_str(), &st) == 0) {
    now.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    now.size = st.st_size;
    now.inode = st.st_ino;
  }
  if (now == stamp_) return false;
  stamp_ = now;
  TokenTable from_file;
  if (now.mtime_ns >= 0) {
    std::ifstream in(file_, std::ios::binary);
    if (!in) return Error{ErrorKind::NotFound, "cannot read the tokens file", file_};
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parseTokenFile(text.str(), file_);
    if (!parsed.ok()) return parsed.error();
    from_file = std::move(parsed.value());
  }
  // A missing file (a Secret not yet mounted) leaves the configured hashes only.
  file_tokens_ = std::move(from_file);
  publish();
  return true;
}

void TokenBook::setRegistry(TokenTable registry) {
  registry_ = std::move(registry);
  publish();
}

void TokenBook::publish() {
  TokenTable merged = configured_;
  for (const auto& [hash, who] : file_tokens_) merged[hash] = who;
  for (const auto& [hash, who] : registry_) merged[hash] = who;
  auto table = std::make_shared<const TokenTable>(std::move(merged));
  std::lock_guard<std::mutex> lock(mutex_);
  table_ = std::move(table);
}

}  // namespace callmesh::notification
