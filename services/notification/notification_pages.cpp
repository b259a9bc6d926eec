#include "services/notification/notification_pages.h"

#include <algorithm>
#include <set>

namespace callmesh::notification {

std::string encodeCursor(const PageCursor& cursor) {
  static const char* hex = "0123456789abcdef";
  std::string out = std::to_string(cursor.score) + "-";
  for (unsigned char c : cursor.id) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 0xf]);
  }
  return out;
}

std::optional<PageCursor> decodeCursor(const std::string& text) {
  auto dash = text.find('-');
  if (dash == 0 || dash == std::string::npos || dash > 19 || text.size() > 1024) {
    return std::nullopt;
  }
  PageCursor out;
  for (size_t i = 0; i < dash; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    out.score = out.score * 10 + (text[i] - '0');
  }
  std::string hex = text.substr(dash + 1);
  if (hex.empty() || hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.id.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

bool afterCursor(const IndexEntry& e, const std::optional<PageCursor>& cursor) {
  if (!cursor) return true;
  return e.score < cursor->score || (e.score == cursor->score && e.id < cursor->id);
}

MergedPage mergePage(std::vector<IndexEntry> candidates, const std::optional<PageCursor>& cursor,
                     size_t limit) {
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [&](const IndexEntry& e) { return !afterCursor(e, cursor); }),
                   candidates.end());
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const IndexEntry& a, const IndexEntry& b) {
                     return a.score != b.score ? a.score > b.score : a.id > b.id;
                   });
  MergedPage page;
  std::set<std::string> seen;
  for (auto& e : candidates) {
    if (page.entries.size() == limit) break;
    if (seen.insert(e.id).second) page.entries.push_back(std::move(e));
  }
  // A full page: the indexes were read only this far, so there may be more.
  page.more = limit > 0 && page.entries.size() == limit;
  return page;
}

}  // namespace callmesh::notification
