#pragma once

#include <string>
#include <string_view>

#include "shared/base/result.h"

namespace callmesh::phone {

// Normalises a phone number written in any common form ("(555) 010-0100", "+1 555 0100",
// "tel:+15550100") to E.164 with libphonenumber; `default_region` applies to national forms.
// Accepts "possible" numbers (test and fictional ranges such as 555-01xx included), rejects what
// cannot be a number at all.
Result<std::string> toE164(const std::string& written, const std::string& default_region = "US");

// The slot number a dialled text counts against for the concurrency cap (issue 16: one number
// written two ways must be one number). The router reads the dialled text the same way:
//   "+15550100"                       -> itself (already E.164: the form numbers are configured in)
//   "18889990000", "(888) 999-0000"   -> "+18889990000" (national forms, `default_region`)
//   anything that is not a phone number, or longer than kMaxDialledLength -> kNotANumber, one
//   shared key, so texts that no tracking number can match cannot grow Redis or the metrics
//   (they still reach the router, which answers 404).
inline constexpr std::string_view kNotANumber = "not-a-number";
inline constexpr size_t kMaxDialledLength = 64;
std::string slotNumberOf(std::string_view dialled, const std::string& default_region = "US");

// True for "+" followed by 1 to 15 digits and nothing else: E.164 as written in configuration.
bool isPlainE164(std::string_view text);

}  // namespace callmesh::phone
