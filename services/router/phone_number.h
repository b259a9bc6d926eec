#pragma once

#include <string>

#include "shared/base/result.h"
#include "shared/phone/e164.h"

namespace callmesh::router {

// One reading of phone numbers for the whole cluster (shared/phone): the ingress's slot numbers
// and the router's routing agree on what a dialled text is.
using phone::toE164;

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
