#pragma once

#include <string>

namespace callmesh::ingress {

// Chooses the response a forking proxy sends upstream when no branch answered
// (RFC 3261 section 16.7 step 6): any 6xx wins; otherwise the lowest class seen; a 503 from a
// branch becomes 500 so the caller's side does not treat *us* as overloaded. Responses to our
// own CANCELs (487) and ring timeouts are recorded as "no answer" (480).
class BestResponse {
 public:
  void add(int status);
  // A branch that was still ringing when its step's ring timer fired.
  void addNoAnswer() { add(480); }
  bool empty() const { return status_ == 0; }
  int status() const;
  std::string reason() const;

 private:
  int status_ = 0;
};

}  // namespace callmesh::ingress
