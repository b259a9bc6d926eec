#include "services/ingress/heap_metrics.h"

#include <sys/prctl.h>

#include <cstddef>
#include <cstdint>
#include <string>

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

bool writeDecay(const std::string& name, ssize_t ms) {
  return mallctl(name.c_str(), nullptr, nullptr, &ms, sizeof ms) == 0;
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
      retained_(family_.Add({{"kind", "retained"}})),
      steady_(prometheus::BuildGauge()
                  .Name("callmesh_ingress_heap_steady")
                  .Help("1 while the ingress's heap holds steady (no new huge pages, free pages "
                        "returned after a decay), 0 while it grows (huge pages, free pages kept)")
                  .Register(registry)
                  .Add({})) {}

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
  active_bytes_ = active;
  return true;
}

bool HeapMetrics::applyMode(HeapGrowthWatch::Mode mode, int64_t steady_decay_ms) {
  if (mallctl == nullptr) return false;
  bool steady = mode == HeapGrowthWatch::Mode::Steady;
  // Pages purged straight back (no MADV_FREE "muzzy" stage, which RSS still counts) after the
  // decay when steady; never while growing: the next busy spell reuses them without a fault.
  ssize_t dirty = steady ? static_cast<ssize_t>(steady_decay_ms) : -1;
  unsigned narenas = 0;
  size_t len = sizeof narenas;
  if (mallctl("arenas.narenas", &narenas, &len, nullptr, 0) != 0) return false;
  bool ok = writeDecay("arenas.dirty_decay_ms", dirty) && writeDecay("arenas.muzzy_decay_ms", 0);
  for (unsigned i = 0; i < narenas; ++i) {
    // An arena index never used yet has no arena: EFAULT, nothing to set.
    std::string arena = "arena." + std::to_string(i);
    (void)writeDecay(arena + ".dirty_decay_ms", dirty);
    (void)writeDecay(arena + ".muzzy_decay_ms", 0);
  }
  // Growing: the kernel may map huge pages again where jemalloc asked for them (MADV_HUGEPAGE).
  ok = prctl(PR_SET_THP_DISABLE, steady ? 1 : 0, 0, 0, 0) == 0 && ok;
  steady_.Set(steady ? 1 : 0);
  return ok;
}

}  // namespace callmesh::ingress
