// RouterService: Cap'n Proto in and out, and reloading routing.yaml (SIGHUP or a changed file,
// including the kubelet's ConfigMap symlink swap) without ever dropping the running config.
#include "services/router/router_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>

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

// The versioned documents of routing_source: redis, as a router replica sees them (issue 20).
class FakeDocuments final : public RoutingDocumentSource {
 public:
  Result<std::optional<redis::RoutingDocument>> activeUnless(uint64_t loaded) override {
    std::lock_guard<std::mutex> lock(mutex_);
    reported = loaded;
    if (!reachable) return Error{ErrorKind::Disconnected, "redis down"};
    if (active.version == 0 || active.version == loaded) {
      return std::optional<redis::RoutingDocument>();
    }
    return std::optional<redis::RoutingDocument>(active);
  }
  Status seed(const std::string& yaml, const std::string& origin) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (active.version == 0) set(1, yaml, "file:" + origin);
    return {};
  }
  Status mirror(const std::string& yaml, const std::string& origin) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (active.yaml != yaml) set(active.version + 1, yaml, "file:" + origin);
    ++mirrors;
    return {};
  }
  void activate(uint64_t version, const std::string& yaml) {
    std::lock_guard<std::mutex> lock(mutex_);
    set(version, yaml, "api");
  }

  std::mutex mutex_;
  redis::RoutingDocument active;
  std::atomic<uint64_t> reported{0};
  std::atomic<bool> reachable{true};
  std::atomic<int> mirrors{0};

 private:
  void set(uint64_t version, const std::string& yaml, const std::string& author) {
    active.version = version;
    active.yaml = yaml;
    active.author = author;
  }
};

// Ends the service before the test's FakeDocuments: a load the service started on its helper
// thread may still be reading them, and the service's end waits for it. Declared after `docs`,
// so it runs first (without it the documents went first: a use after free, found by ASan).
struct ServiceFirst {
  std::unique_ptr<RouterService>& service;
  ~ServiceFirst() { service.reset(); }
};

// Polls until a helper-thread load lands (bounded: a load of this size takes microseconds).
bool pollUntilApplied(RouterService& s, int polls = 5000) {
  for (int i = 0; i < polls; ++i) {
    if (s.pollReload(false)) return true;
    ::usleep(1000);
  }
  return false;
}

TEST_F(RouterServiceTest, RedisSourceRoutesOnTheActiveVersionAndItsNumberIsTheEpoch) {
  FakeDocuments docs;
  ServiceFirst service_first{service_};
  docs.activate(7, routing(5080));
  auto& s = service(dir_ / "absent.yaml");
  s.useDocuments(&docs, /*redis_is_source=*/true);
  ASSERT_TRUE(s.loadInitial().ok());
  EXPECT_EQ(s.configEpoch(), 7u);
  EXPECT_EQ(metrics_.config_epoch.Value(), 7);
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5080");
  // A rollback to the same text is still a new epoch: cached decisions must not match it.
  docs.activate(8, routing(5090));
  ASSERT_TRUE(pollUntilApplied(s));
  EXPECT_EQ(s.configEpoch(), 8u);
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5090");
  docs.activate(9, routing(5080));
  ASSERT_TRUE(pollUntilApplied(s));
  EXPECT_EQ(s.configEpoch(), 9u);
  // The next poll reports the version now routed on.
  s.pollReload(false);
  for (int i = 0; i < 5000 && docs.reported != 9; ++i) {
    ::usleep(1000);
    s.pollReload(false);
  }
  EXPECT_EQ(docs.reported, 9u);
}

TEST_F(RouterServiceTest, RedisSourceSeedsAnEmptyRedisFromTheFileAndKeepsRoutingWhenRedisIsDown) {
  write(dir_ / "routing.yaml", routing(5080));
  FakeDocuments docs;
  ServiceFirst service_first{service_};
  auto& s = service(dir_ / "routing.yaml");
  s.useDocuments(&docs, true);
  ASSERT_TRUE(s.loadInitial().ok());
  EXPECT_EQ(docs.active.version, 1u);
  EXPECT_EQ(docs.active.author, "file:" + (dir_ / "routing.yaml").string());
  EXPECT_EQ(s.configEpoch(), 1u);
  docs.reachable = false;
  docs.activate(2, routing(5090));
  EXPECT_FALSE(pollUntilApplied(s, 50));
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5080");
  EXPECT_EQ(metrics_.reloads_failed.Value(), 0);  // an unreachable Redis is not a bad config
}

TEST_F(RouterServiceTest, RedisSourceWithNothingToSeedFromRefusesToStart) {
  FakeDocuments docs;
  ServiceFirst service_first{service_};
  auto& s = service(dir_ / "absent.yaml");
  s.useDocuments(&docs, true);
  EXPECT_FALSE(s.loadInitial().ok());
  auto& empty = service("");
  empty.useDocuments(&docs, true);
  auto st = empty.loadInitial();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("no active routing document"), std::string::npos);
}

TEST_F(RouterServiceTest, FileSourceMirrorsEachLoadedVersionAndTheFileWins) {
  write(dir_ / "routing.yaml", routing(5080));
  FakeDocuments docs;
  ServiceFirst service_first{service_};
  docs.activate(4, routing(5070));  // what Redis held: the file wins over it
  auto& s = service(dir_ / "routing.yaml");
  s.useDocuments(&docs, /*redis_is_source=*/false);
  ASSERT_TRUE(s.loadInitial().ok());
  EXPECT_EQ(routeOnce(), "sip:+15550199@127.0.0.1:5080");
  EXPECT_EQ(docs.active.version, 5u);
  EXPECT_EQ(docs.active.yaml, routing(5080));
  // The epoch stays the file's hash in GitOps mode.
  EXPECT_EQ(s.configEpoch(), s.config().content_hash);
  write(dir_ / "routing.yaml", "tracking_numbers:\n  - number: \"call me\"\n");
  EXPECT_FALSE(s.reloadIfChanged(false));
  EXPECT_EQ(docs.mirrors, 1);  // a file that does not load is never mirrored
}

}  // namespace
}  // namespace callmesh::router
