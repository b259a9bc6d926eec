#include "shared/metrics/process_collector.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace callmesh::metrics {

namespace {

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(m);
  return f;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Seconds since the epoch at which the machine booted (btime in /proc/stat), or -1.
double bootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double t = -1;
      in >> t;
      return t;
    }
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

}  // namespace

ProcessCollector::ProcessCollector(std::string proc_dir) : proc_dir_(std::move(proc_dir)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));

  // /proc/<pid>/stat: the command name is in parentheses and may hold spaces, so fields are
  // counted from the last ')'. After it: 3 state, ..., 14 utime, 15 stime, 20 num_threads,
  // 22 starttime, 23 vsize, 24 rss (field numbers as in proc(5)).
  std::string stat = readFile(proc_dir_ + "/stat");
  if (auto close = stat.rfind(')'); close != std::string::npos) {
    std::istringstream fields(stat.substr(close + 1));
    std::vector<std::string> f;
    for (std::string s; fields >> s;) f.push_back(s);
    auto at = [&f](size_t field) { return field - 3 < f.size() ? std::stod(f[field - 3]) : -1.0; };
    if (f.size() >= 22) {
      try {
        out.push_back(family("process_cpu_seconds_total",
                             "Total user and system CPU time spent in seconds.",
                             MetricType::Counter, (at(14) + at(15)) / ticks));
        out.push_back(family("process_threads", "Number of OS threads in the process.",
                             MetricType::Gauge, at(20)));
        if (double boot = bootTime(); boot >= 0) {
          out.push_back(family("process_start_time_seconds",
                               "Start time of the process since unix epoch in seconds.",
                               MetricType::Gauge, boot + at(22) / ticks));
        }
        out.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                             MetricType::Gauge, at(23)));
        out.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.",
                             MetricType::Gauge, at(24) * page));
      } catch (const std::exception&) {
        // A malformed stat line: leave the rest out rather than report garbage.
      }
    }
  }

  if (DIR* d = opendir((proc_dir_ + "/fd").c_str())) {
    double fds = 0;
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++fds;
    }
    closedir(d);
    // The directory stream itself holds one descriptor while we count (only for our own process).
    if (proc_dir_ == "/proc/self" && fds > 0) --fds;
    out.push_back(
        family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, fds));
  }

  std::ifstream limits(proc_dir_ + "/limits");
  for (std::string line; std::getline(limits, line);) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream rest(line.substr(std::string("Max open files").size()));
      std::string soft;
      rest >> soft;
      if (soft != "unlimited" && !soft.empty()) {
        try {
          out.push_back(family("process_max_fds", "Maximum number of open file descriptors.",
                               MetricType::Gauge, std::stod(soft)));
        } catch (const std::exception&) {
        }
      }
    }
  }
  return out;
}

}  // namespace callmesh::metrics
