// Issue 18 item 2: a service's Redis ACL user from its secrets file.
#include "shared/redis/redis_credentials.h"

#include <gtest/gtest.h>

namespace callmesh::redis {
namespace {

TEST(RedisCredentials, OneUserPasswordLine) {
  auto c = parseCredentials("limiter:s3cret\n", "f");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->user, "limiter");
  EXPECT_EQ(c->password, "s3cret");
}

TEST(RedisCredentials, ThePasswordMayHoldColonsAndCommentsAreSkipped) {
  auto c = parseCredentials("# rotated 2024-05\r\n\nrouter:a:b:c\r\n", "f");
  ASSERT_TRUE(c.ok()) << c.error().describe();
  EXPECT_EQ(c->user, "router");
  EXPECT_EQ(c->password, "a:b:c");
}

TEST(RedisCredentials, MistakesAreRefusedWithoutEchoingThePassword) {
  for (const char* bad :
       {"", "# only a comment\n", "nocolon\n", ":pw\n", "user:\n", "us er:pw\n", "a:b\nc:d\n"}) {
    auto c = parseCredentials(bad, "/etc/secret");
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().kind, ErrorKind::InvalidInput);
    EXPECT_EQ(c.error().context, "/etc/secret");
    EXPECT_EQ(c.error().message.find("pw"), std::string::npos);
  }
  EXPECT_FALSE(parseCredentials(std::string(5000, 'x'), "f").ok());
}

TEST(RedisCredentials, AMissingFileIsNotFound) {
  auto c = loadCredentials("/nonexistent/callmesh-redis-user");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::NotFound);
}

}  // namespace
}  // namespace callmesh::redis
