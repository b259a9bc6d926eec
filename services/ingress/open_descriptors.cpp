#include "services/ingress/open_descriptors.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <iterator>

namespace callmesh::ingress {

std::vector<int> openDescriptors() {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  int own = dirfd(dir);  // the listing's own descriptor is gone once it is closed
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd < 0 || fd > INT_MAX || fd == own) continue;
    fds.push_back(static_cast<int>(fd));
  }
  closedir(dir);
  std::sort(fds.begin(), fds.end());
  return fds;
}

std::vector<int> openedSince(const std::vector<int>& before, const std::vector<int>& after) {
  std::vector<int> opened;
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(opened));
  return opened;
}

std::string descriptorTarget(int fd) {
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  char target[128] = {0};
  ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

}  // namespace callmesh::ingress
