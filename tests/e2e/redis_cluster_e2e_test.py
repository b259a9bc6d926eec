"""Presence on a Redis Cluster, end to end (issue 18 item 3): a company number blasts two agents
through the whole cluster of services, whose state lives in a Redis Cluster of 3 masters + 3
replicas started by the test (tests/e2e/redis_cluster.py). The agent who answers is on a call
while it lasts and free after; the one left ringing is freed by the CANCEL; the number's on-call
set follows the call; the keys really are spread over the masters. The other suites run on a
Redis Cluster through CALLMESH_E2E_REDIS=cluster (ctest e2e_redis_cluster)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import redis_cluster  # noqa: E402
from cluster import Cluster, free_port, uac, uas, wait_until  # noqa: E402

COMPANY = "+15550500"


def routing(ports):
    agents = "".join(f'  - {{id: {name}, uri: "sip:{name}@127.0.0.1:{port}"}}\n' for name, port in ports.items())
    return f"""locations:
  - {{id: utc, time_zone: UTC}}
agents:
{agents}company_numbers:
  - number: "{COMPANY}"
    location: utc
    ring_timeout_s: 10
    unknown_callers:
      default: {{blast: [{", ".join(ports)}]}}
"""


class PresenceOnRedisCluster(unittest.TestCase):
    def test_answering_agent_is_on_a_call_while_it_lasts_and_the_ringing_one_is_freed(self):
        # seed 004_ee4e98a6a7f6781b.txt "Blast Alert": first to answer gets the call.
        ports = {"alice": free_port(), "bob": free_port()}
        self.cluster = Cluster(routing(ports), redis_cluster=True).start()
        self.addCleanup(self.cluster.cleanup)
        alice = uas(self.cluster, "uas_answer.xml", ports["alice"], "alice")
        self.addCleanup(alice.stop)
        bob = uas(self.cluster, "uas_ring_forever.xml", ports["bob"], "bob")
        self.addCleanup(bob.stop)
        redis = self.cluster.redis
        # Held long enough for the checks below on a loaded machine; the caller hangs up after.
        caller = uac(self.cluster, COMPANY, calls=1, rate=1, hold_ms=8000, name="caller")
        wait_until(lambda: redis("HGET", "cm:agent:{alice}", "on_call") == "1", 10, what="alice on a call")
        self.assertEqual(redis("--scan", "--pattern", "cm:number:{*}:oncall").split(),
                         [f"cm:number:{{{COMPANY}}}:oncall"])
        self.assertEqual(redis("SCARD", f"cm:number:{{{COMPANY}}}:oncall"), "1")
        wait_until(lambda: redis("HGET", "cm:agent:{bob}", "ringing") == "0", 15,
                   what=f"bob's ringing freed (ringing={redis('HGET', 'cm:agent:{bob}', 'ringing')!r})")
        self.assertEqual(self.cluster.metric("router", "callmesh_router_directory_errors_total",
                                             'directory="presence",reason="unreachable"'), 0)
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.count("answered"), 1)
        self.assertEqual(bob.count_when("cancelled", 1), 1)
        wait_until(lambda: redis("HGET", "cm:agent:{alice}", "on_call") == "0", 10, what="alice free again")
        self.assertEqual(redis("SCARD", f"cm:number:{{{COMPANY}}}:oncall"), "0")
        self.assertEqual(redis("ZCARD", f"cm:{{{COMPANY}}}:slots"), "0")
        # The call's, the agents' and the number's keys are where the cluster says: found on
        # their masters only, which are not all one.
        where = {}
        for master in redis_cluster.masters(self.cluster.redis_cluster_ports[0]):
            for key in redis_cluster.cli(master, "KEYS", "cm:*").split():
                where[key] = master
        self.assertIn("cm:agent:{alice}", where)
        self.assertIn("cm:agent:{bob}", where)
        self.assertGreater(len(set(where.values())), 1, where)


if __name__ == "__main__":
    unittest.main()
