"""A wall clock stepped while calls ring (ntpd steps any offset over 128 ms; a VM resumed or
migrated jumps): the ingress with tests/e2e/wall_clock_shim.c preloaded, its CLOCK_REALTIME moved
by a file while CLOCK_MONOTONIC runs on (services/ingress/sofia_clock.h). The ring timeout, a seed rule
(000_246ae9c7ee9a1def.txt: no answer within the ring timeout -> the call's no-answer action),
must fire after its seconds on the monotonic clock: not two minutes late when the wall clock goes
back two minutes, not at once when it goes an hour forward."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import BUILD_DIR, Cluster, free_port, uac, uas, wait_until  # noqa: E402

SHIM = os.path.join(BUILD_DIR, "tests", "e2e", "libcallmesh_wall_clock_shim.so")
SLOTS_KEY = "cm:{+15550100}:slots"
RING_TIMEOUT_S = 3


def routing(phone_port):
    return f"""tracking_numbers:
  - number: "+15550100"
    ring_timeout_s: {RING_TIMEOUT_S}
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
"""


class WallClockStep(unittest.TestCase):
    def setUp(self):
        self.assertTrue(os.path.exists(SHIM), f"{SHIM} missing: the build makes it")
        phone_port = free_port()
        self.cluster = Cluster(routing(phone_port))
        self.addCleanup(self.cluster.cleanup)
        self.offset_file = os.path.join(self.cluster.dir, "wall-offset-s")
        self.step_wall_clock(0)
        # Only the ingress's wall clock moves; its monotonic clock is the machine's.
        self.cluster.service_env["ingress"] = {"LD_PRELOAD": SHIM, "CALLMESH_WALL_OFFSET_FILE": self.offset_file}
        self.cluster.start()
        self.phone = uas(self.cluster, "uas_ring_forever.xml", phone_port, "phone")
        self.addCleanup(self.phone.stop)

    def step_wall_clock(self, offset_s):
        with open(self.offset_file + ".tmp", "w") as f:
            f.write(f"{offset_s}\n")
        os.replace(self.offset_file + ".tmp", self.offset_file)

    def recorded_end_ms(self):
        """When the ingress said the call ended, by its wall clock: the call record's end (the
        score in cm:{cdr}:by-time comes from the ingress's `ended` event)."""
        wait_until(lambda: self.cluster.redis("ZCARD", "cm:{cdr}:by-time") == "1", 5, what="the call's record")
        return float(self.cluster.redis("ZRANGE", "cm:{cdr}:by-time", "0", "-1", "WITHSCORES").split()[-1])

    def ring_one_call(self):
        caller = uac(self.cluster, "+15550100", calls=1, rate=1, hold_ms=0, name="caller",
                     scenario="uac_reject.xml")
        self.addCleanup(caller.stop)
        wait_until(lambda: self.cluster.redis("ZCARD", SLOTS_KEY) == "1", 5, what="the call holds its slot")
        return caller, time.monotonic()

    def test_wall_clock_two_minutes_back_while_ringing_the_timeout_still_fires_on_time(self):
        caller, rung_at = self.ring_one_call()
        self.step_wall_clock(-120)
        self.assertEqual(self.phone.count_when("cancelled", 1, timeout=RING_TIMEOUT_S + 10), 1)
        waited = time.monotonic() - rung_at
        self.assertEqual(caller.wait(timeout=10), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["486"])  # seed 000 default: hangup (busy)
        self.assertLess(waited, RING_TIMEOUT_S + 5, "the ring timeout waited for the wall clock")
        wait_until(lambda: self.cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="the slot released")
        # The step did reach the ingress: the call ended two minutes ago by its clock.
        self.assertLess(self.recorded_end_ms(), time.time() * 1000 - 100000)

    def test_wall_clock_an_hour_forward_while_ringing_ends_nothing_early(self):
        caller, rung_at = self.ring_one_call()
        self.step_wall_clock(3600)
        time.sleep(1.5)
        self.assertEqual(self.phone.count("cancelled"), 0, "the phone was cancelled when the clock jumped")
        self.assertEqual(self.cluster.redis("ZCARD", SLOTS_KEY), "1")
        self.assertEqual(self.phone.count_when("cancelled", 1, timeout=RING_TIMEOUT_S + 10), 1)
        self.assertGreaterEqual(time.monotonic() - rung_at, RING_TIMEOUT_S - 0.5)
        self.assertEqual(caller.wait(timeout=10), 0, caller.out_file)
        self.assertEqual(caller.lines("final"), ["486"])
        self.assertGreater(self.recorded_end_ms(), time.time() * 1000 + 3000000)


if __name__ == "__main__":
    unittest.main()
