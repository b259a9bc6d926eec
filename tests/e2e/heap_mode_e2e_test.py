"""The ingress's heap modes on a real ingress (services/ingress/heap_mode.h, issue 22 point 3):
while its heap grows it may have transparent huge pages (/proc/<pid>/status THP_enabled 1); once
the heap has held (no 16 MB rise within 10 s for ingress.heap_steady_after_s, here 3 s, with at
least 64 MB in use) it turns huge pages off for itself (prctl PR_SET_THP_DISABLE: THP_enabled 0)
and jemalloc returns free pages after ingress.heap_steady_decay_ms; more load turns huge pages back
on. An idle ingress below 64 MB stays as it started. What that buys (RSS flat over 5 minutes at
1,000 calls/s) is the 5-minute soak's to show: tools/soak/ingress_rss.py, docs/bench/memory.md."""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "bench"))
from bench_proc import UNLIMITED_SOURCES  # noqa: E402
from cluster import Cluster, free_port, uac, uas, wait_until  # noqa: E402

# One SIPp source at 400 new calls/s: past the edge's per-source limits, so the benchmarks'
# settings; steady after 3 s without growth instead of 30.
INGRESS = UNLIMITED_SOURCES + "  heap_steady_after_s: 3\n"
RATE = 400  # sofia keeps ~26 KB a call for 32 s: the heap grows ~10 MB a second


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
        self.cluster = Cluster(routing(phone_port), ingress_extra=INGRESS)
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

    def load(self, seconds, name):
        caller = uac(self.cluster, "+15550100", calls=RATE * seconds, rate=RATE, hold_ms=0, name=name)
        self.addCleanup(caller.stop)
        return caller

    def wait_steady(self, want, timeout, what):
        try:
            wait_until(lambda: self.steady() == want, timeout, interval=0.25, what=what)
        except AssertionError as e:
            raise AssertionError(f"{e}; {self.cluster.metric_lines('ingress', 'callmesh_ingress_heap')}") from None

    def log_says(self, steady):
        # The log reaches its file through a buffer: wait for the line rather than read at once.
        line = f'"event":"heap_mode","steady":{steady}'
        wait_until(lambda: line in self.cluster.log("ingress"), 5, what=line)

    def test_huge_pages_while_the_heap_grows_none_once_it_holds_and_back_with_more_load(self):
        self.assertEqual(self.thp_enabled(), 1, "the ingress starts as growing: huge pages allowed")
        # Idle past heap_steady_after_s: under 64 MB in use, it stays as it started.
        time.sleep(5)
        self.assertEqual(self.steady(), 0)
        self.assertEqual(self.thp_enabled(), 1)

        first = self.load(10, "first")
        self.assertEqual(first.wait(timeout=60), 0, "SIPp reports failed calls: " + first.out_file)
        self.assertEqual(first.count("answered"), RATE * 10)
        # The calls' transactions are kept 32 s, so the heap now holds ~100 MB and no longer grows:
        # steady 10 s (the growth window) + 3 s after the load, well before sofia frees them.
        self.wait_steady(1, 20, "the heap counted steady")
        self.assertEqual(self.thp_enabled(), 0)
        self.log_says(1)

        second = self.load(8, "second")
        self.wait_steady(0, 15, "the heap counted growing")
        self.assertEqual(self.thp_enabled(), 1)
        self.assertEqual(second.wait(timeout=60), 0, "SIPp reports failed calls: " + second.out_file)
        self.assertEqual(second.count("answered"), RATE * 8)
        self.log_says(0)


if __name__ == "__main__":
    unittest.main()
