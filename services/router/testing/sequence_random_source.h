#pragma once

// Test-only: a RandomSource that answers from a script, so "random" picks a known number.

#include <cstddef>
#include <vector>

#include "services/router/random_source.h"

namespace callmesh::router::testing {

// Answers the scripted indices in order (each taken modulo n), then 0. Records every n asked,
// so a test can also check how many candidates a choice was drawn from.
class SequenceRandomSource final : public RandomSource {
 public:
  explicit SequenceRandomSource(std::vector<size_t> picks = {}) : picks_(std::move(picks)) {}
  size_t below(size_t n) override {
    asked_.push_back(n);
    size_t pick = next_ < picks_.size() ? picks_[next_++] : 0;
    return pick % n;
  }
  const std::vector<size_t>& asked() const { return asked_; }

 private:
  std::vector<size_t> picks_;
  size_t next_ = 0;
  std::vector<size_t> asked_;
};

}  // namespace callmesh::router::testing
