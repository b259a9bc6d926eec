#include "shared/phone/e164.h"

#include <phonenumbers/phonenumberutil.h>

namespace callmesh::phone {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

Result<std::string> toE164(const std::string& written, const std::string& default_region) {
  std::string text = written;
  if (text.rfind("tel:", 0) == 0) text = text.substr(4);
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber parsed;
  if (util.Parse(text, default_region, &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return invalidInput("'" + written + "' is not a phone number");
  }
  // Test and fictional ranges (555-01xx) are "possible" but not "valid"; accept possible numbers
  // so example configs can use the reserved ranges, reject what cannot be a number at all.
  if (!util.IsPossibleNumber(parsed)) {
    return invalidInput("'" + written + "' is not a possible phone number");
  }
  std::string out;
  util.Format(parsed, PhoneNumberUtil::E164, &out);
  return out;
}

bool isPlainE164(std::string_view text) {
  if (text.size() < 2 || text.size() > 16 || text[0] != '+') return false;
  for (size_t i = 1; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

std::string slotNumberOf(std::string_view dialled, const std::string& default_region) {
  // The common case costs no libphonenumber parse: gateways send E.164 (and the router takes a
  // configured number as written, so the two agree on it).
  if (isPlainE164(dialled)) return std::string(dialled);
  if (dialled.empty() || dialled.size() > kMaxDialledLength) return std::string(kNotANumber);
  auto e164 = toE164(std::string(dialled), default_region);
  return e164.ok() ? std::move(e164.value()) : std::string(kNotANumber);
}

}  // namespace callmesh::phone
