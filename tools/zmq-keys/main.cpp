// callmesh-zmq-keys: writes the ZeroMQ CURVE keys of a callmesh cluster (issue 18 item 4).
//
//   callmesh-zmq-keys DIR     one keypair per service (DIR/<service>.key, mode 0600: each is the
//                             content of that service's Kubernetes Secret) and DIR/cluster.pub
//                             (every service's public key: the allow-lists and server keys)
//
// Existing files are never overwritten: rotating keys is writing a new DIR and rolling it out.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>

#include "shared/transport/curve_keys.h"

using namespace callmesh;

namespace {

bool writeNew(const std::string& path, const std::string& text, mode_t mode) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    std::fprintf(stderr, "callmesh-zmq-keys: %s exists; keys are never overwritten\n",
                 path.c_str());
    return false;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out || chmod(path.c_str(), mode) != 0) {
    std::fprintf(stderr, "callmesh-zmq-keys: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: callmesh-zmq-keys DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "callmesh-zmq-keys: cannot create %s: %s\n", dir.c_str(),
                 std::strerror(errno));
    return 1;
  }
  std::map<std::string, std::string> public_keys;
  for (auto service : transport::kServiceNames) {
    auto keys = transport::generateKeyPair();
    if (!keys.ok()) {
      std::fprintf(stderr, "callmesh-zmq-keys: %s\n", keys.error().describe().c_str());
      return 1;
    }
    std::string name(service);
    if (!writeNew(dir + "/" + name + ".key", transport::formatKeyPair(keys.value(), name), 0600)) {
      return 1;
    }
    public_keys[name] = keys->public_key;
  }
  if (!writeNew(dir + "/cluster.pub", transport::formatPublicKeys(public_keys), 0644)) return 1;
  std::printf("wrote %zu keypairs and cluster.pub to %s\n", public_keys.size(), dir.c_str());
  return 0;
}
