#pragma once

// Paging lists of follow-up records with cursors (issue 17 item 6). A list reads one or more
// sorted-set indexes (scored by time); a page is the newest `limit` entries across them strictly
// after the cursor, in (score, id) descending order. The cursor is opaque to clients: the last
// entry's score and id. Every index is read from the cursor on, so an older unclaimed record is
// never hidden behind newer ones of another kind (each kind has its own index). Pure: the Redis
// reads are in NotificationStore.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace callmesh::notification {

struct PageCursor {
  int64_t score = 0;
  std::string id;
};

// "<score>-<hex of id>": URL-safe, opaque to clients.
std::string encodeCursor(const PageCursor& cursor);
std::optional<PageCursor> decodeCursor(const std::string& text);

struct IndexEntry {
  int64_t score = 0;
  std::string id;
  size_t index = 0;  // which index it came from (for housekeeping)
};

// True when `e` comes after `cursor` in (score, id) descending order.
bool afterCursor(const IndexEntry& e, const std::optional<PageCursor>& cursor);

// The page: entries after `cursor`, newest first, an id once (its first index wins), at most
// `limit`. `more` is set when the page is full (the indexes were read only that far).
struct MergedPage {
  std::vector<IndexEntry> entries;
  bool more = false;
};
MergedPage mergePage(std::vector<IndexEntry> candidates, const std::optional<PageCursor>& cursor,
                     size_t limit);

}  // namespace callmesh::notification
