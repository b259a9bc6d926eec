#include "services/notification/json_text.h"

#include "shared/log/logger.h"

namespace callmesh::notification {

namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// How many bytes the UTF-8 sequence starting at text[i] holds when it is whole and valid
// (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF); otherwise 0, and `bad_at`
// is where it stopped being valid: the lead byte itself, a byte that cannot continue the
// sequence, or the end of the text.
size_t validSequence(std::string_view text, size_t i, size_t& bad_at) {
  const auto b = static_cast<unsigned char>(text[i]);
  size_t need = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;  // the second byte's range; later ones are always 80..BF
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    bad_at = i;
    return 0;
  }
  for (size_t k = 1; k <= need; ++k) {
    if (i + k >= text.size()) {
      bad_at = text.size();
      return 0;
    }
    const auto c = static_cast<unsigned char>(text[i + k]);
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) {
      bad_at = i + k;
      return 0;
    }
  }
  return need + 1;
}

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t bad_at = 0;
      size_t n = validSequence(text, i, bad_at);
      if (n > 0) {
        out.append(text.data() + i, n);
        i += n;
      } else {
        // As nlohmann's replace handler: one U+FFFD for the broken sequence, then the byte that
        // broke it is read again as a start (a lone bad lead byte is dropped).
        out += kReplacement;
        i = bad_at > i ? bad_at : i + 1;
      }
      continue;
    }
    // nlohmann writes DEL (0x7f) as it is; the logger's escaping, shared otherwise, does not.
    if (c == 0x7f) {
      out += static_cast<char>(c);
    } else {
      appendJsonAsciiEscaped(out, c);
    }
    ++i;
  }
  out += '"';
}

}  // namespace callmesh::notification
