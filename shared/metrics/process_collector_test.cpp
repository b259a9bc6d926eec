#include "shared/metrics/process_collector.h"

#include <fcntl.h>
#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "shared/metrics/admin_server.h"

namespace callmesh::metrics {
namespace {

std::map<std::string, double> values(const std::vector<prometheus::MetricFamily>& families) {
  std::map<std::string, double> out;
  for (const auto& f : families) {
    EXPECT_EQ(f.metric.size(), 1u) << f.name;
    out[f.name] = f.type == prometheus::MetricType::Counter ? f.metric.at(0).counter.value
                                                            : f.metric.at(0).gauge.value;
  }
  return out;
}

class ProcFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/callmesh-proc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directory(dir_ + "/fd");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

TEST_F(ProcFixture, ReadsCpuMemoryThreadsAndFdsFromProcFiles) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // A command name with spaces and a ')' must not shift the fields.
  // fields: 3 state .. 14 utime=250 15 stime=150 .. 20 threads=7 .. 23 vsize 24 rss=1000
  write("stat",
        "4242 (callmesh (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 7 0 "
        "5000 123456789 1000 18446744073709551615\n");
  for (const char* fd : {"0", "1", "2", "7"}) write(std::string("fd/") + fd, "");
  write("limits",
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max open files            1024                 524288               files     \n");
  auto v = values(ProcessCollector(dir_).Collect());
  EXPECT_DOUBLE_EQ(v.at("process_cpu_seconds_total"), 400 / ticks);
  EXPECT_DOUBLE_EQ(v.at("process_resident_memory_bytes"), 1000 * page);
  EXPECT_DOUBLE_EQ(v.at("process_virtual_memory_bytes"), 123456789);
  EXPECT_DOUBLE_EQ(v.at("process_threads"), 7);
  EXPECT_DOUBLE_EQ(v.at("process_open_fds"), 4);
  EXPECT_DOUBLE_EQ(v.at("process_max_fds"), 1024);
  EXPECT_GT(v.at("process_start_time_seconds"), 1e9);
}

TEST_F(ProcFixture, MissingOrMalformedFilesLeaveMetricsOutInsteadOfInventingThem) {
  write("stat", "garbage without parentheses\n");
  std::filesystem::remove(dir_ + "/fd");
  auto v = values(ProcessCollector(dir_).Collect());
  EXPECT_EQ(v.count("process_cpu_seconds_total"), 0u);
  EXPECT_EQ(v.count("process_open_fds"), 0u);
  EXPECT_EQ(v.count("process_max_fds"), 0u);
}

TEST(ProcessCollector, OwnProcessCountsAnOpenedFile) {
  ProcessCollector collector;
  auto before = values(collector.Collect());
  int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  auto after = values(collector.Collect());
  close(fd);
  EXPECT_EQ(after.at("process_open_fds"), before.at("process_open_fds") + 1);
  EXPECT_GT(after.at("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(after.at("process_cpu_seconds_total"), 0);
  EXPECT_GE(after.at("process_threads"), 1);
}

TEST(AdminServer, MetricsPageHasRegistryAndProcessMetrics) {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter()
      .Name("callmesh_test_things_total")
      .Help("t")
      .Register(*registry)
      .Add({})
      .Increment(3);
  AdminServer admin(registry, nullptr);
  ASSERT_TRUE(admin.start("127.0.0.1:0").ok());
  httplib::Client client("127.0.0.1", admin.port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("callmesh_test_things_total 3"), std::string::npos) << res->body;
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                           "process_open_fds ", "# TYPE process_cpu_seconds_total counter"}) {
    EXPECT_NE(res->body.find(name), std::string::npos) << name << "\n" << res->body;
  }
  admin.stop();
}

}  // namespace
}  // namespace callmesh::metrics
