#include "services/router/geo_router.h"

namespace callmesh::router {

GeoChoice chooseByCallerLocation(const GeoRouter& router, const std::string& caller_zip,
                                 const std::string& caller_e164) {
  GeoChoice out;
  std::string zip5 = caller_zip.substr(0, caller_zip.find('-'));
  if (!zip5.empty()) {
    auto it = router.by_zip.find(zip5);
    if (it != router.by_zip.end()) {
      out.matched = true;
      out.receiving_number = it->second;
      out.why = "geo router " + router.id + ": caller ZIP " + zip5 + " -> " + it->second;
      return out;
    }
  }
  const std::pair<std::string, std::string>* best = nullptr;
  if (!caller_e164.empty()) {
    for (const auto& entry : router.by_prefix) {
      if (caller_e164.rfind(entry.first, 0) == 0 &&
          (best == nullptr || entry.first.size() > best->first.size())) {
        best = &entry;
      }
    }
  }
  std::string zip_note = zip5.empty() ? "no caller ZIP" : "ZIP " + zip5 + " not listed";
  if (best != nullptr) {
    out.matched = true;
    out.receiving_number = best->second;
    out.why = "geo router " + router.id + ": " + zip_note + "; caller " + caller_e164 +
              " matches area code " + best->first + " -> " + best->second;
    return out;
  }
  out.why = "geo router " + router.id + ": " + zip_note + "; caller '" + caller_e164 +
            "' matches no area code; using the default";
  return out;
}

}  // namespace callmesh::router
