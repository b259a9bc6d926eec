#pragma once

// Reading the text Redis hands back as numbers and lists, the same way in every service.
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace callmesh::redis {

// A stored integer field; absent, empty or garbled reads as 0 (fields are ours, written by Lua
// scripts, so garbage means a hand edit, not something to fail a call over).
inline int64_t fieldInt(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  (void)end;
  return ec == std::errc() ? v : 0;
}

// A comma list field ("a,b,c"); empty items are skipped.
inline std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    if (comma > start) out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

inline std::string joinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

}  // namespace callmesh::redis
