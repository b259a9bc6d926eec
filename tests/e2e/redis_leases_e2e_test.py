"""Slot leases in a Redis of their own (`redis_leases:`, issue 17 item 6): two real redis-servers,
the whole cluster, SIPp. Seed 004_ee4e98a6a7f6781b.txt: a company number takes at most its cap of
simultaneous calls. Every call that rang leaves a call detail record (issue 20).

  (a) slot keys live only in the lease Redis, call records only in the main Redis;
  (b) with the records' Redis full (filled, then maxmemory below it with noeviction), new calls
      are still admitted and capped exactly: the cap is counted where the leases are, so a full
      records store never refuses a call.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, uac, uas, wait_until  # noqa: E402

NUMBER = "+15550100"
SLOTS_KEY = "cm:{+15550100}:slots"
CAP = 3


def routing(uas_port):
    return f"""tracking_numbers:
  - number: "{NUMBER}"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{uas_port}"
"""


def keys(cli, pattern):
    out = cli("--scan", "--pattern", pattern)
    return sorted(k for k in out.split("\n") if k) if out else []


class RedisLeases(unittest.TestCase):
    def setUp(self):
        self.uas_port = free_port()
        self.cluster = Cluster(routing(self.uas_port), cap=CAP, leases_redis=True).start()
        self.addCleanup(self.cluster.cleanup)

    def phone(self, scenario):
        p = uas(self.cluster, scenario, self.uas_port, "phone-" + scenario.split(".")[0])
        self.addCleanup(p.stop)
        return p

    def calls(self, n, hold_ms, name):
        caller = uac(self.cluster, NUMBER, calls=n, rate=100, hold_ms=hold_ms, name=name,
                     scenario="uac_call_any.xml")
        self.addCleanup(caller.stop)
        return caller

    def test_slot_keys_live_only_in_the_lease_redis_and_records_only_in_the_main_one(self):
        c = self.cluster
        # Busy calls: call records in the main Redis, nothing in the lease Redis.
        busy = self.phone("uas_busy.xml")
        missed = self.calls(3, 0, "missed")
        self.assertEqual(missed.wait(timeout=30), 0, "SIPp reports failed calls: " + missed.out_file)
        self.assertEqual(missed.lines("final"), ["486"] * 3)
        wait_until(lambda: c.redis("ZCARD", "cm:{cdr}:outcome:busy") == "3", 10,
                   what="3 busy call records")
        self.assertEqual(len(keys(c.redis, "cm:{cdr}:call:*")), 3)
        busy.stop()

        # Calls held for 3 s: the cap's 3 leases in the lease Redis, no slot key in the main one.
        self.phone("uas_answer.xml")
        caller = self.calls(5, 3000, "caller")
        wait_until(lambda: caller.count("answered") + len(caller.lines("final")) == 5, 20,
                   what="5 outcomes")
        self.assertEqual(c.leases_redis("ZCARD", SLOTS_KEY), str(CAP))
        self.assertEqual(keys(c.redis, "cm:*slots*"), [])
        # The lease Redis holds slot leases and nothing else.
        self.assertEqual(keys(c.leases_redis, "*"), [SLOTS_KEY])
        self.assertEqual(caller.wait(timeout=30), 0, "SIPp reports failed calls: " + caller.out_file)
        self.assertEqual(caller.count("answered"), CAP)
        self.assertEqual(caller.lines("final"), ["486"] * 2)
        wait_until(lambda: c.leases_redis("ZCARD", SLOTS_KEY) == "0", 5, what="slots released")
        self.assertEqual(keys(c.leases_redis, "cm:{cdr}*"), [])
        self.assertEqual(keys(c.leases_redis, "cm:notif*"), [])
        self.assertEqual(c.redis("ZCARD", "cm:{cdr}:outcome:busy"), "3")

    def test_a_full_records_redis_refuses_no_call_and_the_cap_still_holds(self):
        c = self.cluster
        self.phone("uas_answer.xml")
        # Fill the records' Redis (2 MB of filler), then cap it below what it holds with
        # noeviction: every write that needs memory is refused with OOM, as in a Redis that
        # filled up with records.
        for i in range(8):  # SETRANGE at offset 256 KiB - 1: a 256 KiB string from a short command
            self.assertEqual(c.redis("SETRANGE", f"test:filler:{i}", str(256 * 1024 - 1), "x"),
                             str(256 * 1024))
        used = int(dict(line.split(":", 1) for line in c.redis("INFO", "memory").splitlines()
                        if ":" in line)["used_memory"])
        self.assertEqual(c.redis("CONFIG", "SET", "maxmemory-policy", "noeviction"), "OK")
        self.assertEqual(c.redis("CONFIG", "SET", "maxmemory", str(used - 512 * 1024)), "OK")
        self.assertIn("OOM", c.redis("SET", "test:probe", "1"))
        refused_before = self.oom_errors()

        caller = self.calls(5, 3000, "caller")
        wait_until(lambda: caller.count("answered") + len(caller.lines("final")) == 5, 20,
                   what="5 outcomes")
        self.assertEqual(c.leases_redis("ZCARD", SLOTS_KEY), str(CAP))
        self.assertEqual(caller.wait(timeout=30), 0, "SIPp reports failed calls: " + caller.out_file)
        self.assertEqual(caller.count("answered"), CAP)
        self.assertEqual(caller.lines("final"), ["486"] * 2)
        self.assertEqual(c.metric("ingress", "callmesh_ingress_cap_rejections_total"), 2)
        wait_until(lambda: c.leases_redis("ZCARD", SLOTS_KEY) == "0", 5, what="slots released")
        self.assertEqual(keys(c.redis, "cm:*slots*"), [])
        # The services' own writes to the records' Redis (presence's call state, the missed-call
        # path) were refused while these calls were admitted: it really was full for them.
        self.assertGreater(self.oom_errors(), refused_before)

    def oom_errors(self):
        """How many commands the records' Redis refused with OOM so far (INFO errorstats)."""
        for line in self.cluster.redis("INFO", "errorstats").splitlines():
            if line.startswith("errorstat_OOM:"):
                return int(line.split("count=")[1].split(",")[0])
        return 0


if __name__ == "__main__":
    unittest.main()
