#include "services/notification/api_json.h"

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

const std::vector<BodyField> kFields = {{"action", BodyField::Type::String, true},
                                        {"tags", BodyField::Type::StringList, false}};

TEST(ApiJson, BodyErrorsNameWhatIsWrong) {
  auto bad = parseBody("{nope", kFields);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("not valid JSON"), std::string::npos);
  auto unknown = parseBody(R"({"action":"call_back","colour":"red"})", kFields);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().context, "colour");
  EXPECT_NE(unknown.error().message.find("unknown field 'colour'"), std::string::npos);
  auto missing = parseBody("{}", kFields);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "field 'action' is required");
  auto wrong = parseBody(R"({"action":1})", kFields);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "field 'action' must be a string");
  auto list = parseBody(R"({"action":"x","tags":["a",2]})", kFields);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().context, "tags");
  EXPECT_FALSE(parseBody("[1]", kFields).ok());
  EXPECT_TRUE(parseBody(R"({"action":"x","tags":["a"]})", kFields).ok());
}

}  // namespace
}  // namespace callmesh::notification
