#include "services/router/phone_number.h"

#include <phonenumbers/phonenumberutil.h>

namespace callmesh::router {

Result<std::string> toE164(const std::string& written, const std::string& default_region) {
  using i18n::phonenumbers::PhoneNumber;
  using i18n::phonenumbers::PhoneNumberUtil;
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

}  // namespace callmesh::router
