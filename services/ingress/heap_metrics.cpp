#include "services/ingress/heap_metrics.h"

#include <cstddef>
#include <cstdint>

// jemalloc's control interface, present only when the executable links jemalloc (the ingress
// does, sanitizer builds and tests do not): a weak reference is null otherwise.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace callmesh::ingress {

namespace {

bool readSize(const char* name, size_t& out) {
  size_t len = sizeof out;
  return mallctl(name, &out, &len, nullptr, 0) == 0 && len == sizeof out;
}

}  // namespace

HeapMetrics::HeapMetrics(prometheus::Registry& registry)
    : family_(prometheus::BuildGauge()
                  .Name("callmesh_ingress_heap_bytes")
                  .Help("The ingress's heap by jemalloc's count: allocated (held by the program), "
                        "active (its pages), resident (mapped and touched), retained (kept for "
                        "reuse, not mapped); absent without jemalloc")
                  .Register(registry)),
      allocated_(family_.Add({{"kind", "allocated"}})),
      active_(family_.Add({{"kind", "active"}})),
      resident_(family_.Add({{"kind", "resident"}})),
      retained_(family_.Add({{"kind", "retained"}})) {}

bool HeapMetrics::update() {
  if (mallctl == nullptr) return false;
  // jemalloc's statistics are a snapshot taken when the epoch advances.
  uint64_t epoch = 1;
  size_t len = sizeof epoch;
  if (mallctl("epoch", &epoch, &len, &epoch, len) != 0) return false;
  size_t allocated = 0, active = 0, resident = 0, retained = 0;
  if (!readSize("stats.allocated", allocated) || !readSize("stats.active", active) ||
      !readSize("stats.resident", resident) || !readSize("stats.retained", retained)) {
    return false;  // built without statistics
  }
  allocated_.Set(static_cast<double>(allocated));
  active_.Set(static_cast<double>(active));
  resident_.Set(static_cast<double>(resident));
  retained_.Set(static_cast<double>(retained));
  return true;
}

}  // namespace callmesh::ingress
