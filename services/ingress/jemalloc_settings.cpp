// jemalloc's settings for the ingress (linked only with jemalloc; MALLOC_CONF in the environment
// still overrides any key). jemalloc reads its documented `malloc_conf` symbol before main().
//
// sofia-sip frees every call's messages 32 s after the call (Timer D), so after any lull the heap
// holds large runs of free pages. With jemalloc's defaults two things made the next busy spell
// fault on fresh pages, 6-8 minor faults per call in the ingress (each a trap into the hypervisor
// on a paravirtualised host, ~17 us), against 0.1 under steady load (docs/bench/kamailio.md,
// "Page faults after an idle spell"):
// - the free pages were handed back to the kernel after 10 s (dirty_decay_ms), so they had to be
//   faulted in again. They are kept now (-1): the ingress holds the pages of its busiest 32 s,
//   which its memory limit must hold anyway (services/ingress/README.md, "Memory": ~1 GB at
//   1,000 short calls/s). A 60 s or 5-minute decay still left 1.7-4.3 and 2.7 faults per call
//   after a 40 s lull: jemalloc purges the very extents the next spell wants;
// - jemalloc does not cut a small slab out of a free extent more than 2^6 times its size
//   (lg_extent_max_active_fit), and the freed runs coalesce into extents far larger than that:
//   even with the pages kept, RSS grew run after run on fresh pages. 2^16 lets them be reused.
// - while the heap grows (a fresh ingress, or load past its busiest 32 s so far: 18 KB a call for
//   32 s) every new 4 KB page is a fault, 7.5 per call at 500 calls/s, 6-8 % of the ingress's
//   time. thp:always asks for transparent huge pages (MADV_HUGEPAGE; the kernel's THP mode must
//   be `always` or `madvise`, Debian's default): one fault per 2 MB, 0.015 per call, and the
//   ingress's CPU per call in its first 15 s under load fell from 0.60-0.73 to 0.51-0.52 ms
//   (docs/bench/kamailio.md, "Huge pages"). The price: up to 2 MB more resident per arena at
//   idle (the cluster's idle PSS 40 -> 53-67 MB); per 1,000 live calls 21.8 -> 20.8 MB.
//
// These are the settings while the heap grows. Once it has held steady for 30 s the ingress turns
// huge pages off for itself and has jemalloc return free pages after ingress.heap_steady_decay_ms
// (services/ingress/heap_mode.h, applied by HeapMetrics::applyMode); growth turns them back.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "dirty_decay_ms:-1,lg_extent_max_active_fit:16,thp:always";
}
