#include "services/router/phone_number.h"

#include <phonenumbers/phonenumberutil.h>

namespace callmesh::router {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

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
