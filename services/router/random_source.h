#pragma once

#include <cstddef>
#include <random>

namespace callmesh::router {

// The random choices of the router (seed 002's "random" caller IDs), behind a seam so tests
// pick exactly which number "random" means. Used on the router's loop thread only.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // A uniformly chosen index in [0, n); n > 0.
  virtual size_t below(size_t n) = 0;
};

// Seeded once from std::random_device. Not for anything secret: it only spreads caller IDs.
class SystemRandomSource final : public RandomSource {
 public:
  SystemRandomSource() : engine_(std::random_device{}()) {}
  size_t below(size_t n) override {
    return std::uniform_int_distribution<size_t>(0, n - 1)(engine_);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace callmesh::router
