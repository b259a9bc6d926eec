"""The ingress's heap modes on a real ingress (services/ingress/heap_mode.h, issue 22 point 3):
idle 30 s, its heap counts as steady and it turns huge pages off for itself (prctl
PR_SET_THP_DISABLE: /proc/<pid>/status THP_enabled 0) and has jemalloc return free pages after
ingress.heap_steady_decay_ms; under load its heap grows and huge pages come back (THP_enabled 1).
What that buys (RSS flat over 5 minutes at 1,000 calls/s) is the 5-minute soak's to show:
tools/soak/ingress_rss.py, docs/bench/memory.md."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, uac, uas, wait_until  # noqa: E402

SOURCE_LIMITS = ("  rate_limit_rps: 100000\n  rate_limit_burst: 100000\n"
                 "  new_call_rps: 100000\n  new_call_burst: 100000\n")
CALLS, RATE = 3200, 400  # 8 s: ~26 KB a call for 32 s grows the heap ~10 MB a second


def routing(phone_port):
    return f"""tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
"""


class HeapModes(unittest.TestCase):
    def setUp(self):
        phone_port = free_port()
        # One SIPp source at 400 new calls/s: past the edge's per-source limits (the benchmarks'
        # settings, tools/bench/bench_proc.py UNLIMITED_SOURCES).
        self.cluster = Cluster(routing(phone_port), ingress_extra=SOURCE_LIMITS)
        self.addCleanup(self.cluster.cleanup)
        self.cluster.start()
        self.phone = uas(self.cluster, "uas_answer_bench.xml", phone_port, "phone")
        self.addCleanup(self.phone.stop)

    def thp_enabled(self):
        """The kernel's word on whether this process may have transparent huge pages."""
        with open(f"/proc/{self.cluster.procs['ingress'].pid}/status") as f:
            for line in f:
                if line.startswith("THP_enabled:"):
                    return int(line.split()[1])
        self.fail("no THP_enabled in /proc/<pid>/status")

    def steady(self):
        return self.cluster.metric("ingress", "callmesh_ingress_heap_steady")

    def test_idle_heap_turns_steady_and_load_brings_huge_pages_back(self):
        c = self.cluster
        self.assertEqual(self.thp_enabled(), 1, "the ingress starts as growing: huge pages allowed")
        self.assertEqual(self.steady(), 0)
        # 30 s without 16 MB of growth within 10 s: steady.
        wait_until(lambda: self.steady() == 1, 45, interval=0.5, what="the heap counted steady")
        self.assertEqual(self.thp_enabled(), 0)
        # The log reaches its file through a buffer: wait for the line rather than read at once.
        wait_until(lambda: '"event":"heap_mode","steady":1' in c.log("ingress"), 5, what="the log line")

        caller = uac(c, "+15550100", calls=CALLS, rate=RATE, hold_ms=0, name="caller")
        self.addCleanup(caller.stop)
        # The heap grows with the calls sofia keeps for 32 s: growing again, huge pages back.
        try:
            wait_until(lambda: self.steady() == 0, 15, interval=0.5, what="the heap counted growing")
        except AssertionError as e:
            raise AssertionError(f"{e}; {c.metric_lines('ingress', 'callmesh_ingress_heap')}; "
                                 f"{caller.count('answered')} calls answered so far") from None
        self.assertEqual(self.thp_enabled(), 1)
        self.assertEqual(caller.wait(timeout=60), 0, "SIPp reports failed calls: " + caller.out_file)
        self.assertEqual(caller.count("answered"), CALLS)
        wait_until(lambda: '"event":"heap_mode","steady":0' in c.log("ingress"), 5, what="the log line")


if __name__ == "__main__":
    unittest.main()
