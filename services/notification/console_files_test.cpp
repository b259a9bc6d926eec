// The agent console's static files (notification.console_dir): only allowlisted names inside the
// directory, with the right Content-Type; every traversal attempt is a miss (404).
#include "services/notification/console_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "shared/config/cluster_config.h"

namespace callmesh::notification {
namespace {

namespace fs = std::filesystem;

class ConsoleFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("callmesh-console-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    dir_ = base_ / "console";
    fs::create_directories(dir_ / "assets");
    fs::create_directories(dir_ / "sub");
    write(dir_ / "index.html", "<!doctype html>");
    write(dir_ / "favicon.svg", "<svg/>");
    write(dir_ / "assets" / "index-Ab12_x.js", "export {}");
    write(dir_ / "assets" / "index-Ab12.css", "body{}");
    write(dir_ / "assets" / "tool.exe", "MZ");
    write(dir_ / ".env", "secret");
    write(dir_ / "sub" / "page.html", "nested");
    write(base_ / "cluster.yaml", "redis: {}");  // a secret next to the console directory
    fs::create_symlink(base_ / "cluster.yaml", dir_ / "assets" / "leak.json");
    fs::create_directories(dir_ / "assets" / "dir.js");
  }
  void TearDown() override { fs::remove_all(base_); }
  static void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
  std::optional<ConsoleFile> get(const std::string& url) { return consoleFile(dir_.string(), url); }

  fs::path base_;
  fs::path dir_;
};

TEST_F(ConsoleFiles, ServesIndexAndAssetsWithContentTypes) {
  auto index = get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->path, fs::canonical(dir_ / "index.html").string());
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_FALSE(index->immutable);
  EXPECT_EQ(get("/index.html")->path, index->path);
  auto js = get("/assets/index-Ab12_x.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_TRUE(js->immutable);
  EXPECT_EQ(get("/assets/index-Ab12.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(get("/favicon.svg")->content_type, "image/svg+xml");
  EXPECT_EQ(consoleContentType("alert-x1.wav"), "audio/wav");
}

TEST_F(ConsoleFiles, RefusesTraversalHiddenFilesUnknownTypesAndSymlinksOut) {
  for (const char* url : {"/../cluster.yaml",
                          "/assets/../../cluster.yaml",
                          "/assets/..",
                          "/..",
                          "/./index.html",
                          "//index.html",
                          "/assets//index-Ab12.css",
                          "/.env",
                          "/assets/.hidden.js",
                          "/assets/tool.exe",
                          "/sub/page.html",
                          "/assets/a/b.js",
                          "/assets/leak.json",
                          "/assets/dir.js",
                          "/assets/missing.js",
                          "/index.html/",
                          "/assets\\..\\cluster.yaml",
                          "/%2e%2e/cluster.yaml",
                          "index.html",
                          "",
                          "/assets/"}) {
    EXPECT_FALSE(get(url)) << url;
  }
  EXPECT_FALSE(consoleFile("", "/"));
  EXPECT_FALSE(consoleFile((base_ / "nope").string(), "/"));
  EXPECT_FALSE(get(std::string("/index.html\0.js", 15)));
}

TEST(ConsoleDirConfig, RelativeToClusterYamlAndOffByDefault) {
  const char* base = "router:\n  routing_file: r.yaml\n";
  auto off = config::parseClusterConfig(base, "/etc/callmesh/cluster.yaml");
  ASSERT_TRUE(off.ok()) << off.error().describe();
  EXPECT_EQ(off->notification.console_dir, "");
  auto on = config::parseClusterConfig(
      std::string(base) + "notification:\n  console_dir: console\n", "/etc/callmesh/cluster.yaml");
  ASSERT_TRUE(on.ok()) << on.error().describe();
  EXPECT_EQ(on->notification.console_dir, "/etc/callmesh/console");
}

}  // namespace
}  // namespace callmesh::notification
