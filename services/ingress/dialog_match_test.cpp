// Issue 16, item 4: in-dialog requests must match the dialog's Call-ID, both tags and a hop.
#include "services/ingress/dialog_match.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

const DialogIds kDialog{"call-1", "caller-tag", "phone-tag", "127.0.0.1", "127.0.0.2", "127.0.0.3"};

struct Row {
  const char* what;
  InDialogRequest request;
  DialogSide side;
};

TEST(DialogMatch, CallIdBothTagsAndTheHopOfThatDirection) {
  using S = DialogSide;
  const Row rows[] = {
      {"caller's BYE", {"call-1", "caller-tag", "phone-tag", "127.0.0.1"}, S::FromCaller},
      {"phone's BYE", {"call-1", "phone-tag", "caller-tag", "127.0.0.2"}, S::FromCallee},
      {"phone's BYE from the target's own address",
       {"call-1", "phone-tag", "caller-tag", "127.0.0.3"},
       S::FromCallee},
      {"made-up To-tag", {"call-1", "caller-tag", "made-up", "127.0.0.1"}, S::NotInDialog},
      {"no To-tag", {"call-1", "caller-tag", "", "127.0.0.1"}, S::NotInDialog},
      {"wrong From-tag", {"call-1", "other", "phone-tag", "127.0.0.1"}, S::NotInDialog},
      {"third address, right tags",
       {"call-1", "caller-tag", "phone-tag", "127.0.0.77"},
       S::NotInDialog},
      {"caller's tags from the phone's hop",
       {"call-1", "caller-tag", "phone-tag", "127.0.0.2"},
       S::NotInDialog},
      {"phone's tags from the caller's hop",
       {"call-1", "phone-tag", "caller-tag", "127.0.0.1"},
       S::NotInDialog},
      {"other Call-ID", {"call-2", "caller-tag", "phone-tag", "127.0.0.1"}, S::NotInDialog},
      {"no source", {"call-1", "caller-tag", "phone-tag", ""}, S::NotInDialog},
  };
  for (const Row& row : rows) EXPECT_EQ(sideOf(kDialog, row.request), row.side) << row.what;
}

TEST(DialogMatch, RfcTwentyFiveFortyThreeCallerWithoutFromTag) {
  DialogIds dialog = kDialog;
  dialog.caller_tag.clear();
  EXPECT_EQ(sideOf(dialog, {"call-1", "", "phone-tag", "127.0.0.1"}), DialogSide::FromCaller);
  EXPECT_EQ(sideOf(dialog, {"call-1", "phone-tag", "", "127.0.0.2"}), DialogSide::FromCallee);
  EXPECT_EQ(sideOf(dialog, {"call-1", "x", "phone-tag", "127.0.0.1"}), DialogSide::NotInDialog);
}

TEST(DialogMatch, NoDialogBeforeTheAnswerGaveItsTag) {
  DialogIds dialog = kDialog;
  dialog.callee_tag.clear();
  EXPECT_EQ(sideOf(dialog, {"call-1", "caller-tag", "", "127.0.0.1"}), DialogSide::NotInDialog);
}

}  // namespace
}  // namespace callmesh::ingress
