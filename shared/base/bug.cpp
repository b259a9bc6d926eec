#include "shared/base/bug.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace callmesh {

void reportBug(std::string_view file, int line, std::string_view message) {
  std::fprintf(stderr, "{\"level\":\"bug\",\"file\":\"%.*s\",\"line\":%d,\"msg\":\"%.*s\"}\n",
               static_cast<int>(file.size()), file.data(), line, static_cast<int>(message.size()),
               message.data());
#ifndef NDEBUG
  std::abort();
#endif
}

}  // namespace callmesh
