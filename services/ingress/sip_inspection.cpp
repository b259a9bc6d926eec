#include "services/ingress/sip_inspection.h"

#include <strings.h>

#include <cctype>

namespace callmesh::ingress {

// "+15550100;npdi" -> "+15550100": user part without URI user parameters.
std::string userPart(const url_t* url) {
  if (!url || !url->url_user) return {};
  std::string user = url->url_user;
  auto semi = user.find(';');
  if (semi != std::string::npos) user.resize(semi);
  return user;
}

std::string transportOfUri(const std::string& uri) {
  auto p = uri.find(";transport=");
  if (p == std::string::npos) return uri.rfind("sips:", 0) == 0 ? "tls" : "udp";
  std::string t = uri.substr(p + 11);
  auto end = t.find_first_of(";>?");
  if (end != std::string::npos) t.resize(end);
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

// "sip:127.0.0.1:5061;transport=udp" -> "127.0.0.1" ("[::1]" -> "::1").
std::string hostOfTarget(const std::string& target) {
  std::string rest = target.substr(target.find(':') + 1);
  if (!rest.empty() && rest.front() == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.find(':'));
}

// A header value as text (without the name), e.g. From: `"Bob" <sip:+1...@host>;tag=x`.
std::string headerValue(const sip_header_t* h) {
  if (!h) return {};
  char buf[2048] = {0};
  issize_t n = sip_header_field_e(buf, sizeof(buf), h, 0);
  return n > 0 && static_cast<size_t>(n) < sizeof(buf) ? std::string(buf, static_cast<size_t>(n))
                                                       : std::string();
}

std::string urlText(const url_t* url) {
  if (!url) return {};
  char buf[1024] = {0};
  isize_t n = url_e(buf, sizeof(buf), url);
  return n > 0 && static_cast<size_t>(n) < sizeof(buf) ? std::string(buf, static_cast<size_t>(n))
                                                       : std::string();
}

// Only printable ASCII goes into headers we write (values come from config, still checked).
std::string headerSafe(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c >= 0x20 && c < 0x7f) out += c;
  }
  return out;
}

// Numbers this call already passed through: our own X-Callmesh-Path (comma list) and the user
// parts of Diversion headers (RFC 5806) that upstream forwarding added (seed 003).
std::vector<std::string> numbersOnPath(const sip_t* sip) {
  std::vector<std::string> path;
  for (sip_unknown_t const* u = sip->sip_unknown; u; u = u->un_next) {
    if (!u->un_name || !u->un_value) continue;
    std::string value = u->un_value;
    if (strcasecmp(u->un_name, "X-Callmesh-Path") == 0) {
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        std::string item =
            value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) path.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (strcasecmp(u->un_name, "Diversion") == 0) {
      auto colon = value.find("sip:");
      if (colon == std::string::npos) colon = value.find("tel:");
      if (colon == std::string::npos) continue;
      std::string user = value.substr(colon + 4);
      user = user.substr(0, user.find_first_of("@;>"));
      if (!user.empty()) path.push_back(user);
    }
  }
  return path;
}

// False when the request carries an Accept header that rules out application/sdp.
bool acceptsSdp(const sip_t* sip) {
  if (!sip->sip_accept) return true;
  for (sip_accept_t const* a = sip->sip_accept; a; a = a->ac_next) {
    if (!a->ac_type) return true;  // an empty Accept header
    std::string t = a->ac_type;
    for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (t == "application/sdp" || t == "application/*" || t == "*/*") return true;
  }
  return false;
}

}  // namespace callmesh::ingress
