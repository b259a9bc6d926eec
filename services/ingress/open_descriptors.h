#pragma once

#include <string>
#include <vector>

namespace callmesh::ingress {

// The process's open file descriptors, sorted (from /proc/self/fd). sofia-sip creates its epoll
// instance and its transports' sockets without telling their numbers; the ingress finds them by
// comparing the descriptors open before and after the call that creates them.
std::vector<int> openDescriptors();
// The descriptors in `after` that are not in `before` (both sorted).
std::vector<int> openedSince(const std::vector<int>& before, const std::vector<int>& after);
// What the descriptor refers to, as /proc shows it ("socket:[123]", "anon_inode:[eventpoll]"),
// or "" when it is not open.
std::string descriptorTarget(int fd);

}  // namespace callmesh::ingress
