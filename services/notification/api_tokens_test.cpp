// Bearer tokens kept as SHA-256 hashes (issue 17 item 3): the tokens file's parser, the lookup,
// and re-reading the file when it changes.
#include "services/notification/api_tokens.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace callmesh::notification {
namespace {

TEST(ApiTokens, HashIsSha256Hex) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(tokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(config::isTokenHash(tokenHash("anything")));
}

TEST(ApiTokens, ParsesHashesAgentsAndRolesSkippingComments) {
  std::string alice = tokenHash("alice-secret"), root = tokenHash("root-secret");
  auto t = parseTokenFile(
      "# made by tools/callmesh-token\n\n" + alice + " alice\n" + root + "  root   admin\r\n",
      "tokens");
  ASSERT_TRUE(t.ok()) << t.error().describe();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ(t->at(alice).agent_id, "alice");
  EXPECT_EQ(t->at(alice).role, config::ApiRole::Agent);
  EXPECT_EQ(t->at(root).role, config::ApiRole::Admin);
}

TEST(ApiTokens, FileMistakesNameTheLineButNeverItsContent) {
  auto plain = parseTokenFile("# ok\nmy-plain-secret-token alice\n", "/etc/tokens");
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().context, "/etc/tokens:2");
  EXPECT_EQ(plain.error().describe().find("my-plain-secret-token"), std::string::npos);
  std::string h = tokenHash("x");
  EXPECT_FALSE(parseTokenFile(h + "\n", "f").ok());                 // no agent
  EXPECT_FALSE(parseTokenFile(h + " a boss\n", "f").ok());          // bad role
  EXPECT_FALSE(parseTokenFile(h + " a agent extra\n", "f").ok());   // extra field
  EXPECT_FALSE(parseTokenFile(h + " a\n" + h + " b\n", "f").ok());  // listed twice
}

TEST(ApiTokens, AuthenticatesOnlyTheTokenWhoseHashIsKept) {
  TokenTable table{{tokenHash("alice-secret"), {"alice", config::ApiRole::Agent}},
                   {tokenHash("root-secret"), {"root", config::ApiRole::Admin}}};
  auto alice = authenticateBearer(table, "Bearer alice-secret");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->agent_id, "alice");
  EXPECT_FALSE(alice->admin);
  EXPECT_TRUE(authenticateBearer(table, "Bearer root-secret")->admin);
  // The hash itself is not a token.
  auto by_hash = authenticateBearer(table, "Bearer " + tokenHash("alice-secret"));
  ASSERT_FALSE(by_hash.ok());
  EXPECT_EQ(by_hash.error().kind, ErrorKind::NotFound);
  EXPECT_EQ(authenticateBearer(table, "Basic abc").error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(authenticateBearer(table, "Bearer ").error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(authenticateBearer(table, "").error().kind, ErrorKind::InvalidInput);
}

TEST(ApiTokens, BookReReadsTheFileWhenItChangesAndKeepsTheOldTableOnAMistake) {
  char path[] = "/tmp/callmesh-tokens-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  auto write = [&](const std::string& text) { std::ofstream(path, std::ios::trunc) << text; };
  write(tokenHash("alice-1") + " alice\n");
  TokenBook book({{tokenHash("root-secret"), {"root", config::ApiRole::Admin}}}, path);
  EXPECT_FALSE(book.authenticate("Bearer alice-1").ok());  // not read yet
  ASSERT_TRUE(book.reloadIfChanged().ok());
  EXPECT_TRUE(book.authenticate("Bearer alice-1").ok());
  EXPECT_TRUE(book.authenticate("Bearer root-secret").ok());  // the config's stay
  EXPECT_FALSE(*book.reloadIfChanged());                      // unchanged: not re-read

  // Rotation: the new token works, the old one stops, no restart.
  write(tokenHash("alice-2") + " alice\n" + tokenHash("bob-1") + " bob\n");
  auto changed = book.reloadIfChanged();
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_FALSE(book.authenticate("Bearer alice-1").ok());
  EXPECT_TRUE(book.authenticate("Bearer alice-2").ok());
  EXPECT_EQ(book.size(), 3u);

  // A broken file is reported and the previous table stays.
  write("not-a-hash bob\n");
  EXPECT_FALSE(book.reloadIfChanged().ok());
  EXPECT_TRUE(book.authenticate("Bearer bob-1").ok());

  // Removed (Secret unmounted): the config's hashes only.
  std::remove(path);
  ASSERT_TRUE(book.reloadIfChanged().ok());
  EXPECT_FALSE(book.authenticate("Bearer bob-1").ok());
  EXPECT_TRUE(book.authenticate("Bearer root-secret").ok());
}

}  // namespace
}  // namespace callmesh::notification
