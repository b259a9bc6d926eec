#pragma once

#include <string>

#include "shared/base/result.h"

namespace callmesh::router {

// Normalises a phone number written in any common form ("(555) 010-0100", "+1 555 0100",
// "tel:+15550100") to E.164 with libphonenumber; `default_region` applies to national forms.
Result<std::string> toE164(const std::string& written, const std::string& default_region = "US");

// Where a number is, as libphonenumber's metadata says (seed 002: regionally random caller IDs).
struct NumberGeography {
  // FIXED_LINE, or FIXED_LINE_OR_MOBILE where the numbering plan cannot tell (NANP: +1).
  bool landline = false;
  std::string region_code = "ZZ";  // ISO 3166 region ("US", "GB"); "ZZ" = unknown
  std::string area_code;           // "+" country code + geographic area code ("+1212", "+44161");
                                   // "" for mobiles, non-geographic and invalid numbers
};

// `e164` as toE164 returns it. A number libphonenumber does not know is not a landline and has no
// region or area.
NumberGeography geographyOf(const std::string& e164);

}  // namespace callmesh::router
