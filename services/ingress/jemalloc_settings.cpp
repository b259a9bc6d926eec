// jemalloc's settings for the ingress (linked only with jemalloc; MALLOC_CONF in the environment
// still overrides any key). jemalloc reads its documented `malloc_conf` symbol before main().
//
// sofia-sip frees every call's messages 32 s after the call (Timer D), thousands of small chunks
// a second under load, so the heap is a 32 s window of calls that churns at ~12.6 MB/s at 1,000
// calls/s (~27 KB a call). What each key is for:
// - dirty_decay_ms:30000 (jemalloc's default 10 s): free pages go back to the kernel once they
//   have gone unused for about that long. Kept for ever (-1) the ingress's RSS crept 1.2-2.7
//   MB/min at 1,000 calls/s for good: a few free extents a minute the allocator never reuses
//   (jemalloc's `resident - active` grew 16.8 -> 24.5 MB in 2 minutes while `active` held), so
//   it was not flat over 5 minutes (issue 22; docs/bench/memory.md, "Issue 22, sixth session").
//   The window's churn reuses its pages within milliseconds, so only those strays and the pages
//   of a lull go back. The price is the faults after a lull: the next busy spell faults the
//   returned pages in again (ab_cluster, 15 s runs alternating with 20 s idle: 1.06 faults per
//   call against 0.48 with -1 and a 30 s decay, +6 % CPU per call); 10 s made it 6-8 per call.
// - thp:never: no transparent huge pages for the heap. With huge pages (thp:always, which cut the
//   faults of a growing heap from 7.5 to 0.015 per call) every page jemalloc took afresh was
//   2 MB of RSS, and the kernel's khugepaged (max_ptes_none 511: it fills a 2 MB range that has
//   one page in use) put pages jemalloc had returned back into RSS: with the decay, jemalloc's
//   `resident` held flat while RSS still rose 2.1 MB/min. A fresh ingress now faults 4 KB at a
//   time while its heap grows (its first 32 s under load).
// - lg_extent_max_active_fit:16 (jemalloc's default 6): a small slab may be cut from a free
//   extent up to 2^16 times its size; the freed runs coalesce into extents far larger than 2^6
//   times a slab, and with the default RSS grew run after run on fresh pages.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "dirty_decay_ms:30000,lg_extent_max_active_fit:16,thp:never";
}
