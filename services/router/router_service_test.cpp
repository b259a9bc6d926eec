// RouterService: Cap'n Proto in and out, and reloading routing.yaml (SIGHUP or a changed file,
// including the kubelet's ConfigMap symlink swap) without ever dropping the running config.
#include "services/router/router_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "schemas/call.capnp.h"
#include "services/router/testing/in_memory_directories.h"
#include "shared/codec/capnp_codec.h"

namespace callmesh::router {
namespace {

namespace fs = std::filesystem;

// Same length for every port, so only the content tells two versions apart.
std::string routing(int port) {
  return "tracking_numbers:\n"
         "  - number: \"+15550100\"\n"
         "    receiving_numbers:\n"
         "      - {number: \"+15550199\", uri: \"sip:+15550199@127.0.0.1:" +
         std::to_string(port) + "\"}\n";
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

class RouterServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/callmesh-router-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  RouterService& service(const fs::path& file) {
    service_ = std::make_unique<RouterService>(file.string(), 10000, metrics_, log_, presence_,
                                               contacts_, outbound_, random_);
    return *service_;
  }

  // Asks for a route to +15550100 and returns the first target's URI (or "reject <status>").
  std::string routeOnce() {
    capnp::MallocMessageBuilder mb;
    auto q = mb.initRoot<schema::RouteRequest>();
    q.setCallId("c1");
    q.setDialed("+15550100");
    q.setCaller("+15557770000");
    q.setReceivedAtMs(1'700'000'000'000);
    auto words = codec::encode(mb);
    zmq::message_t frame(words.asBytes().begin(), words.asBytes().size());
    auto reply = service_->handle(frame);
    if (!reply.ok()) return "error " + reply.error().describe();
    auto d = codec::decode<schema::RouteDecision>(reply->data(), reply->size(), "RouteDecision");
    if (!d.ok()) return "error " + d.error().describe();
    auto root = d.value()->root();
    if (root.isReject()) return "reject " + std::to_string(root.getReject().getStatus());
    return root.getRing().getSteps()[0].getTargets()[0].getUri();
  }

  fs::path dir_;
  prometheus::Registry registry_;
  RouterMetrics metrics_{registry_};
  Logger log_{"router-test", LogLevel::Error};
  testing::InMemoryAgentAvailability presence_;
  testing::InMemoryContactDirectory contacts_;
  NoOutboundHistory outbound_;
  SystemRandomSource random_;
  std::unique_ptr<RouterService> service_;
};

TEST_F(RouterServiceTest, DecodesDecidesAndEncodesAndCountsUndecodableRequests) {
  write(dir_ / "routing.yaml", routing(5080));
  ASSERT_TRUE(service(dir_ / "routing.yaml").loadInitial().ok());
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5080");
  EXPECT_EQ(metrics_.decision("direct_forward", "ring").Value(), 1);
  const std::string junk(16, '\xff');
  zmq::message_t garbage(junk.data(), junk.size());
  EXPECT_FALSE(service_->handle(garbage).ok());
  EXPECT_EQ(metrics_.decode_errors.Value(), 1);
}

TEST_F(RouterServiceTest, UnchangedFileIsNotReloadedChangedFileIsAndSighupAlwaysIs) {
  write(dir_ / "routing.yaml", routing(5080));
  ASSERT_TRUE(service(dir_ / "routing.yaml").loadInitial().ok());
  EXPECT_FALSE(service_->reloadIfChanged(false));
  EXPECT_TRUE(service_->reloadIfChanged(true));  // SIGHUP
  write(dir_ / "routing.yaml", routing(5090));
  EXPECT_TRUE(service_->reloadIfChanged(false));
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5090");
  EXPECT_EQ(metrics_.reloads_ok.Value(), 2);
}

TEST_F(RouterServiceTest, BrokenFileIsRejectedOnceAndTheRunningConfigStays) {
  write(dir_ / "routing.yaml", routing(5080));
  ASSERT_TRUE(service(dir_ / "routing.yaml").loadInitial().ok());
  write(dir_ / "routing.yaml", "tracking_numbers:\n  - number: \"call me\"\n");
  EXPECT_FALSE(service_->reloadIfChanged(false));
  EXPECT_EQ(metrics_.reloads_failed.Value(), 1);
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5080");
  EXPECT_FALSE(service_->reloadIfChanged(false));  // same broken file: not reported every second
  EXPECT_EQ(metrics_.reloads_failed.Value(), 1);
  fs::remove(dir_ / "routing.yaml");  // a file that disappears is rejected the same way
  EXPECT_FALSE(service_->reloadIfChanged(false));
  EXPECT_EQ(metrics_.reloads_failed.Value(), 2);
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5080");
  write(dir_ / "routing.yaml", routing(5090));
  EXPECT_TRUE(service_->reloadIfChanged(false));
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5090");
}

// The loop's reload: parsing happens on a helper thread; until it is swapped in, decisions use the
// running config. Every wait is bounded.
TEST_F(RouterServiceTest, PollReloadParsesOffTheLoopThreadAndSwapsOnALaterTick) {
  write(dir_ / "routing.yaml", routing(5080));
  ASSERT_TRUE(service(dir_ / "routing.yaml").loadInitial().ok());
  EXPECT_FALSE(service_->pollReload(false));  // unchanged: nothing started
  write(dir_ / "routing.yaml", routing(5090));
  EXPECT_FALSE(service_->pollReload(false));  // load started, not yet active
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5080");
  bool swapped = false;
  for (int i = 0; i < 500 && !swapped; ++i) {
    swapped = service_->pollReload(false);
    if (!swapped) ::usleep(10'000);
  }
  ASSERT_TRUE(swapped) << "the helper-thread load did not finish within 5 s";
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5090");
  EXPECT_FALSE(service_->pollReload(false));

  write(dir_ / "routing.yaml", "tracking_numbers: [");  // broken, rejected the same way
  bool rejected = false;
  for (int i = 0; i < 500 && !rejected; ++i) {
    service_->pollReload(false);
    rejected = metrics_.reloads_failed.Value() == 1;
    if (!rejected) ::usleep(10'000);
  }
  ASSERT_TRUE(rejected);
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5090");
}

// A ConfigMap mounted by the kubelet: routing.yaml -> ..data/routing.yaml, ..data -> ..<stamp>/.
// An update writes a new ..<stamp2>/ and renames a fresh symlink over ..data (atomic). The router
// stats through the symlinks, so it sees a different file, even one with the same size and mtime.
TEST_F(RouterServiceTest, KubeletConfigMapSymlinkSwapIsNoticed) {
  fs::create_directory(dir_ / "..2026_11_22_10_00_00.1");
  write(dir_ / "..2026_11_22_10_00_00.1" / "routing.yaml", routing(5080));
  fs::create_directory_symlink("..2026_11_22_10_00_00.1", dir_ / "..data");
  fs::create_symlink("..data/routing.yaml", dir_ / "routing.yaml");
  ASSERT_TRUE(service(dir_ / "routing.yaml").loadInitial().ok());
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5080");

  fs::create_directory(dir_ / "..2026_11_22_10_05_00.2");
  fs::path fresh = dir_ / "..2026_11_22_10_05_00.2" / "routing.yaml";
  write(fresh, routing(5090));
  // Same mtime as the old file: the swap must be seen through the inode, not the clock.
  fs::last_write_time(fresh,
                      fs::last_write_time(dir_ / "..2026_11_22_10_00_00.1" / "routing.yaml"));
  EXPECT_FALSE(service_->reloadIfChanged(false));
  fs::create_directory_symlink("..2026_11_22_10_05_00.2", dir_ / "..data_tmp");
  fs::rename(dir_ / "..data_tmp", dir_ / "..data");
  fs::remove_all(dir_ / "..2026_11_22_10_00_00.1");

  EXPECT_TRUE(service_->reloadIfChanged(false));
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5090");
  EXPECT_FALSE(service_->reloadIfChanged(false));
}

}  // namespace
}  // namespace callmesh::router
