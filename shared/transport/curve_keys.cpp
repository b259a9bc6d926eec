#include "shared/transport/curve_keys.h"

#include <zmq.h>

#include <algorithm>
#include <sstream>
#include <vector>

namespace callmesh::transport {

namespace {

constexpr size_t kZ85KeyChars = 40;
constexpr size_t kMaxKeyFileBytes = 64 * 1024;
constexpr size_t kMaxPublicKeys = 64;

// "name value" lines, '#' comments and blank lines skipped. A Z85 key may contain '#', so only a
// line that starts with it is a comment.
struct Entry {
  std::string name;
  std::string value;
  int line = 0;
};

Result<std::vector<Entry>> entriesOf(std::string_view text, std::string_view where) {
  if (text.size() > kMaxKeyFileBytes) {
    return invalidInput("is " + std::to_string(text.size()) + " bytes; a key file is at most " +
                            std::to_string(kMaxKeyFileBytes),
                        std::string(where));
  }
  std::vector<Entry> out;
  std::istringstream lines{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto space = line.find(' ');
    if (space == std::string::npos) {
      return invalidInput("line " + std::to_string(number) + " is not `name key`",
                          std::string(where));
    }
    out.push_back({line.substr(0, space), line.substr(line.find_first_not_of(' ', space)), number});
  }
  return out;
}

}  // namespace

bool isZ85Key(std::string_view text) {
  if (text.size() != kZ85KeyChars) return false;
  uint8_t raw[32];
  std::string copy(text);
  return zmq_z85_decode(raw, copy.c_str()) != nullptr;
}

Result<CurveKeyPair> parseKeyPair(std::string_view text, std::string_view where) {
  auto entries = entriesOf(text, where);
  if (!entries.ok()) return entries.error();
  CurveKeyPair keys;
  for (const auto& e : entries.value()) {
    std::string* slot = e.name == "public"   ? &keys.public_key
                        : e.name == "secret" ? &keys.secret_key
                                             : nullptr;
    if (slot == nullptr) {
      return invalidInput(
          "line " + std::to_string(e.line) + ": '" + e.name + "' is not public or secret",
          std::string(where));
    }
    if (!slot->empty()) {
      return invalidInput("line " + std::to_string(e.line) + ": a second " + e.name + " key",
                          std::string(where));
    }
    if (!isZ85Key(e.value)) {
      return invalidInput(
          "line " + std::to_string(e.line) + ": the " + e.name + " key is not 40 characters of Z85",
          std::string(where));
    }
    *slot = e.value;
  }
  if (keys.public_key.empty() || keys.secret_key.empty()) {
    return invalidInput("needs both a public and a secret line", std::string(where));
  }
  return keys;
}

std::string formatKeyPair(const CurveKeyPair& keys, std::string_view service) {
  return "# callmesh ZeroMQ CURVE keypair of " + std::string(service) +
         ": keep it secret (a Kubernetes Secret)\npublic " + keys.public_key + "\nsecret " +
         keys.secret_key + "\n";
}

Result<std::map<std::string, std::string>> parsePublicKeys(std::string_view text,
                                                           std::string_view where) {
  auto entries = entriesOf(text, where);
  if (!entries.ok()) return entries.error();
  if (entries->size() > kMaxPublicKeys) {
    return invalidInput("lists " + std::to_string(entries->size()) + " keys; at most " +
                            std::to_string(kMaxPublicKeys),
                        std::string(where));
  }
  std::map<std::string, std::string> keys;
  for (const auto& e : entries.value()) {
    const auto* known = std::find(std::begin(kServiceNames), std::end(kServiceNames), e.name);
    std::string at = "line " + std::to_string(e.line) + ": ";
    if (known == std::end(kServiceNames)) {
      return invalidInput(at + "'" + e.name + "' is not a callmesh service", std::string(where));
    }
    if (!isZ85Key(e.value)) {
      return invalidInput(at + "the key of " + e.name + " is not 40 characters of Z85",
                          std::string(where));
    }
    if (!keys.emplace(e.name, e.value).second) {
      return invalidInput(at + e.name + " is listed twice", std::string(where));
    }
  }
  return keys;
}

std::string formatPublicKeys(const std::map<std::string, std::string>& keys) {
  std::string out = "# callmesh ZeroMQ CURVE public keys, one `service key` per line\n";
  for (const auto& [name, key] : keys) out += name + " " + key + "\n";
  return out;
}

Result<CurveKeyPair> generateKeyPair() {
  char pub[41] = {0};
  char sec[41] = {0};
  if (zmq_curve_keypair(pub, sec) != 0) {
    return Error{ErrorKind::Internal, zmq_strerror(zmq_errno()),
                 "zmq_curve_keypair (libzmq without CURVE?)"};
  }
  return CurveKeyPair{pub, sec};
}

}  // namespace callmesh::transport
