#pragma once

#include <string>

#include "shared/base/result.h"

namespace callmesh::router {

// Normalises a phone number written in any common form ("(555) 010-0100", "+1 555 0100",
// "tel:+15550100") to E.164 with libphonenumber; `default_region` applies to national forms.
Result<std::string> toE164(const std::string& written, const std::string& default_region = "US");

}  // namespace callmesh::router
