#include "services/ingress/sip_digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>
#include <cstdio>

namespace callmesh::ingress {

namespace {

constexpr size_t kMaxParamValue = 1024;
constexpr size_t kMaxParams = 32;
constexpr size_t kNonceStampHex = 16;
constexpr size_t kNonceTagHex = 32;

std::string toHex(const unsigned char* bytes, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

void skipSpace(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
}

}  // namespace

const char* algorithmName(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::Sha256 ? "SHA-256" : "MD5";
}

std::optional<DigestAlgorithm> algorithmFromName(std::string_view name) {
  if (name.empty() || equalsIgnoreCase(name, "MD5")) return DigestAlgorithm::Md5;
  if (equalsIgnoreCase(name, "SHA-256")) return DigestAlgorithm::Sha256;
  return std::nullopt;
}

size_t hexLength(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::Sha256 ? 64 : 32;
}

std::string digestHex(DigestAlgorithm algorithm, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const EVP_MD* md = algorithm == DigestAlgorithm::Sha256 ? EVP_sha256() : EVP_md5();
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return {};
  return toHex(out, len);
}

std::string digestHa1(DigestAlgorithm algorithm, std::string_view username, std::string_view realm,
                      std::string_view password) {
  std::string a1;
  a1.reserve(username.size() + realm.size() + password.size() + 2);
  a1.append(username).append(":").append(realm).append(":").append(password);
  std::string ha1 = digestHex(algorithm, a1);
  OPENSSL_cleanse(a1.data(), a1.size());
  return ha1;
}

std::string digestResponse(DigestAlgorithm algorithm, std::string_view ha1, const DigestInput& in) {
  std::string a2;
  a2.append(in.method).append(":").append(in.uri);
  std::string ha2 = digestHex(algorithm, a2);
  std::string kd;
  kd.append(ha1).append(":").append(in.nonce).append(":");
  if (!in.qop.empty()) {
    kd.append(in.nc).append(":").append(in.cnonce).append(":").append(in.qop).append(":");
  }
  kd.append(ha2);
  return digestHex(algorithm, kd);
}

std::optional<std::map<std::string, std::string>> parseDigestCredentials(std::string_view v) {
  size_t i = 0;
  skipSpace(v, i);
  if (v.size() - i < 7 || !equalsIgnoreCase(v.substr(i, 6), "Digest") ||
      (v[i + 6] != ' ' && v[i + 6] != '\t')) {
    return std::nullopt;
  }
  i += 6;
  std::map<std::string, std::string> params;
  while (true) {
    skipSpace(v, i);
    if (i >= v.size()) break;
    size_t name_start = i;
    while (i < v.size() && v[i] != '=' && v[i] != ',' && v[i] != ' ' && v[i] != '\t') ++i;
    std::string name(v.substr(name_start, i - name_start));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    skipSpace(v, i);
    if (name.empty() || i >= v.size() || v[i] != '=') return std::nullopt;
    ++i;
    skipSpace(v, i);
    std::string value;
    if (i < v.size() && v[i] == '"') {
      ++i;
      bool closed = false;
      while (i < v.size()) {
        char c = v[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < v.size()) c = v[i++];
        value.push_back(c);
        if (value.size() > kMaxParamValue) return std::nullopt;
      }
      if (!closed) return std::nullopt;
    } else {
      size_t start = i;
      while (i < v.size() && v[i] != ',' && v[i] != ' ' && v[i] != '\t') ++i;
      value = std::string(v.substr(start, i - start));
      if (value.size() > kMaxParamValue) return std::nullopt;
    }
    if (!params.emplace(std::move(name), std::move(value)).second) return std::nullopt;
    if (params.size() > kMaxParams) return std::nullopt;
    skipSpace(v, i);
    if (i < v.size()) {
      if (v[i] != ',') return std::nullopt;
      ++i;
    }
  }
  return params;
}

std::string NonceMinter::tag(std::string_view stamp) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(stamp.data()), stamp.size(), out, &len);
  return toHex(out, len).substr(0, kNonceTagHex);
}

std::string NonceMinter::mint(int64_t now_ms) const {
  char stamp[kNonceStampHex + 1];
  std::snprintf(stamp, sizeof(stamp), "%016llx",
                static_cast<unsigned long long>(static_cast<uint64_t>(now_ms)));
  return std::string(stamp) + tag(stamp);
}

NonceMinter::Check NonceMinter::check(std::string_view nonce, int64_t now_ms) const {
  if (nonce.size() != kNonceStampHex + kNonceTagHex) return Check::Invalid;
  std::string_view stamp = nonce.substr(0, kNonceStampHex);
  uint64_t issued = 0;
  for (char c : stamp) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return Check::Invalid;
    issued = (issued << 4) | static_cast<uint64_t>(d);
  }
  if (!sameDigest(tag(stamp), nonce.substr(kNonceStampHex))) return Check::Invalid;
  auto issued_ms = static_cast<int64_t>(issued);
  if (issued_ms > now_ms + 1000) return Check::Invalid;  // a second of clock skew between replicas
  if (now_ms - issued_ms > lifetime_ms_) return Check::Stale;
  return Check::Valid;
}

std::string randomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return {};
  }
  return out;
}

bool sameDigest(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace callmesh::ingress
