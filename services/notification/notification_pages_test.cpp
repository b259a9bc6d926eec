// Cursor paging of follow-up lists (issue 17 item 6): cursors round-trip, pages merge several
// indexes in (time, id) order, and following next cursors reaches every entry exactly once.
#include "services/notification/notification_pages.h"

#include <set>

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

TEST(NotificationPages, CursorRoundTripsAnyIdAndRefusesForgeries) {
  PageCursor c{1700000000123, "a@b;c/{x}\n"};
  auto back = decodeCursor(encodeCursor(c));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->score, c.score);
  EXPECT_EQ(back->id, c.id);
  for (const char* bad : {"", "-61", "12", "12-", "12-6", "x1-61", "12-zz", "12-6G"}) {
    EXPECT_FALSE(decodeCursor(bad).has_value()) << bad;
  }
}

TEST(NotificationPages, MergesIndexesNewestFirstAfterTheCursorOnceEach) {
  std::vector<IndexEntry> in{{30, "c", 0}, {10, "a", 0}, {20, "b", 1},
                             {20, "z", 1}, {30, "c", 1}, {5, "q", 1}};
  auto page = mergePage(in, std::nullopt, 3);
  ASSERT_EQ(page.entries.size(), 3u);
  EXPECT_EQ(page.entries[0].id, "c");
  EXPECT_EQ(page.entries[0].index, 0u);  // the first index's copy wins
  EXPECT_EQ(page.entries[1].id, "z");    // same time: id descending
  EXPECT_EQ(page.entries[2].id, "b");
  EXPECT_TRUE(page.more);
  auto next = mergePage(in, PageCursor{20, "b"}, 3);
  ASSERT_EQ(next.entries.size(), 2u);
  EXPECT_EQ(next.entries[0].id, "a");
  EXPECT_EQ(next.entries[1].id, "q");
  EXPECT_FALSE(next.more);
}

// issue 17: an older unclaimed record is never hidden behind many newer ones of another index.
TEST(NotificationPages, FollowingCursorsReachesAnOldEntryBehindManyNewerOnes) {
  std::vector<IndexEntry> all;
  for (int i = 0; i < 450; ++i) all.push_back({1000 + i, "answered-" + std::to_string(i), 1});
  all.push_back({1, "old-unclaimed", 0});
  std::set<std::string> seen;
  std::optional<PageCursor> cursor;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = mergePage(all, cursor, 50);
    for (const auto& e : page.entries) EXPECT_TRUE(seen.insert(e.id).second) << e.id;
    if (!page.more) break;
    cursor = PageCursor{page.entries.back().score, page.entries.back().id};
  }
  EXPECT_EQ(seen.size(), 451u);
  EXPECT_TRUE(seen.count("old-unclaimed"));
}

}  // namespace
}  // namespace callmesh::notification
