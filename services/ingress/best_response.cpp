#include "services/ingress/best_response.h"

namespace callmesh::ingress {

namespace {
int rank(int status) {
  // Lower rank is better. 6xx is decisive; then the lowest class; within a class the first seen.
  if (status >= 600) return 0;
  return status / 100;
}
}  // namespace

void BestResponse::add(int status) {
  if (status < 300 || status > 699) return;
  if (status_ == 0 || rank(status) < rank(status_)) status_ = status;
}

int BestResponse::status() const {
  if (status_ == 0) return 480;
  if (status_ == 503) return 500;
  return status_;
}

std::string BestResponse::reason() const {
  switch (status()) {
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 480:
      return "Temporarily Unavailable";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 500:
      return "Server Internal Error";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    default:
      return "Call Failed";
  }
}

}  // namespace callmesh::ingress
