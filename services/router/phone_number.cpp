#include "services/router/phone_number.h"

#include <phonenumbers/phonenumberutil.h>

namespace callmesh::router {

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

NumberGeography geographyOf(const std::string& e164) {
  NumberGeography g;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber parsed;
  if (util.Parse(e164, "ZZ", &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) return g;
  util.GetRegionCodeForNumber(parsed, &g.region_code);
  if (g.region_code.empty()) g.region_code = "ZZ";
  PhoneNumberUtil::PhoneNumberType type = util.GetNumberType(parsed);
  g.landline = type == PhoneNumberUtil::FIXED_LINE || type == PhoneNumberUtil::FIXED_LINE_OR_MOBILE;
  // Only geographic numbers have an area code (0 for mobiles in most plans, and for invalid ones).
  int length = util.GetLengthOfGeographicalAreaCode(parsed);
  if (length > 0) {
    std::string national;
    util.GetNationalSignificantNumber(parsed, &national);
    g.area_code = "+" + std::to_string(parsed.country_code()) +
                  national.substr(0, static_cast<size_t>(length));
  }
  return g;
}

}  // namespace callmesh::router
