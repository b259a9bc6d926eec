#include "services/ingress/agent_credentials.h"

#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace callmesh::ingress {

namespace {

bool isHex(std::string_view s) {
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<AgentCredentials> AgentCredentials::parse(std::string_view text, const std::string& file) {
  AgentCredentials out;
  std::string errors;
  auto fail = [&](int line, const std::string& what) {
    if (!errors.empty()) errors += "\n";
    errors += file + ":" + std::to_string(line) + ": " + what;
  };
  int line_no = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = trimmed(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    size_t first = line.find(':');
    size_t last = line.rfind(':');
    if (first == std::string_view::npos || first == last) {
      fail(line_no, "must be user:realm:HA1");
      continue;
    }
    std::string user(line.substr(0, first));
    std::string realm(line.substr(first + 1, last - first - 1));
    std::string ha1(line.substr(last + 1));
    if (user.empty() || realm.empty()) {
      fail(line_no, "user and realm must not be empty");
      continue;
    }
    if (!isHex(ha1) || (ha1.size() != 32 && ha1.size() != 64)) {
      // The value is not echoed: it may be a password someone pasted by mistake.
      fail(line_no, "HA1 of '" + user + "' must be 32 (MD5) or 64 (SHA-256) hex digits");
      continue;
    }
    for (char& c : ha1) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    DigestAlgorithm algorithm = ha1.size() == 64 ? DigestAlgorithm::Sha256 : DigestAlgorithm::Md5;
    if (!out.ha1_.emplace(std::make_tuple(user, realm, algorithm), std::move(ha1)).second) {
      fail(line_no, "'" + user + "' has a second " + algorithmName(algorithm) + " HA1 for realm '" +
                        realm + "'");
    }
  }
  if (!errors.empty()) return Error{ErrorKind::InvalidInput, errors, file};
  return out;
}

const std::string* AgentCredentials::ha1(const std::string& user, const std::string& realm,
                                         DigestAlgorithm algorithm) const {
  auto it = ha1_.find(std::make_tuple(user, realm, algorithm));
  return it == ha1_.end() ? nullptr : &it->second;
}

Result<bool> CredentialsFile::reloadIfChanged() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    std::string signature = "missing";
    if (signature == signature_) return false;
    signature_ = signature;
    return Error{ErrorKind::NotFound, "cannot read the agent credentials file", path_};
  }
  std::string signature = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
                          std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
                          "." + std::to_string(st.st_mtim.tv_nsec);
  if (signature == signature_) return false;
  signature_ = signature;
  std::ifstream in(path_);
  if (!in) return Error{ErrorKind::NotFound, "cannot read the agent credentials file", path_};
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = AgentCredentials::parse(text.str(), path_);
  if (!parsed.ok()) return parsed.error();
  credentials_ = std::move(parsed.value());
  return true;
}

}  // namespace callmesh::ingress
