"""Presence on a Redis Cluster, end to end (issue 18 item 3): a company number blasts two agents
through the whole cluster of services, whose state lives in a Redis Cluster of 3 masters + 3
replicas started by the test (tests/e2e/redis_cluster.py). The agent who answers is on a call
while it lasts and free after; the one left ringing is freed by the CANCEL; the number's on-call
set follows the call; the keys really are spread over the masters. The other suites run on a
Redis Cluster through CALLMESH_E2E_REDIS=cluster (ctest e2e_redis_cluster).

Provisioning on a Redis Cluster (issue 20 with issue 18): the routing documents share the hash tag
{routing}, so the activation script (If-Match, new document, pointer, retention, audit) runs whole
on the one master owning that slot; two router replicas and the limiter follow it through the
cluster client."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import provisioning_e2e_test as prov  # noqa: E402
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


class ProvisioningOnRedisCluster(prov.ProvisioningTest):
    def test_a_change_activated_through_the_api_reaches_both_replicas_and_the_limiter(self):
        # seed 000_246ae9c7ee9a1def.txt: the tracking number forwards to its receiving number; an
        # admin's change through the API rings the new one on the very next call.
        old_port, new_port = free_port(), free_port()
        self.start(prov.tracking_yaml(old_port), routers=2, redis_cluster=True)
        old_phone = self.phone("uas_answer.xml", old_port, "old")
        new_phone = self.phone("uas_answer.xml", new_port, "new")
        self.wait_replicas_at(1)
        path = f"/v1/admin/routing/tracking_numbers/{prov.TRACKING}"
        status, done = self.api.call("PUT", path, if_match=1,
                                     body={"receiving_numbers": [prov.receiving("+15550202", new_port)]})
        self.assertEqual(status, 200, done)
        self.assertEqual(done["epoch"], 2)
        self.assertTrue(done["converged"], done)
        self.assertEqual(sorted(r["epoch"] for r in done["replicas"]), [2, 2, 2])
        caller = self.call(prov.TRACKING, "after_change", calls=4)
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(new_phone.count_when("answered", 4), 4, new_phone.log_file)
        self.assertEqual(old_phone.count("answered"), 0)
        # seed 004_ee4e98a6a7f6781b.txt: a per-number cap set through the API holds from the next
        # call; the limiter reads it from the cluster's {routing} slot.
        status, done = self.api.call("PUT", f"/v1/admin/routing/number_caps/{prov.TRACKING}", body={"cap": 1})
        self.assertEqual(status, 200, done)
        self.assertEqual(done["epoch"], 3)
        self.assertTrue(done["converged"], done)
        caller = uac(self.cluster, prov.TRACKING, calls=3, rate=100, hold_ms=3000, name="capped")
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual((caller.count("answered"), caller.count("busy")), (1, 2))
        # A bad change: 422 naming the field; nothing moved.
        status, refused = self.api.call("PUT", path, if_match=3,
                                        body={"receiving_numbers": [{"number": "+15550203", "uri": "tel:nope"}]})
        self.assertEqual(status, 422, refused)
        self.assertEqual(refused["errors"][0]["field"], "tracking_numbers[0].receiving_numbers[0].uri")
        self.assertEqual(self.cluster.redis("GET", "cm:{routing}:active"), "3")
        # Rollback to the imported file: a new epoch, the old phone rings again, no cap.
        status, back = self.api.call("POST", "/v1/admin/routing/rollback", body={"version": 1})
        self.assertEqual(status, 200, back)
        self.assertEqual(back["epoch"], 4)
        self.assertTrue(back["converged"], back)
        caller = self.call(prov.TRACKING, "after_rollback", calls=2)
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(old_phone.count_when("answered", 2), 2)
        status, audit = self.api.call("GET", "/v1/admin/routing/audit")
        self.assertEqual(status, 200, audit)
        self.assertEqual([(e["epoch"], e["who"]) for e in audit["entries"][:3]], [(4, "ops"), (3, "ops"), (2, "ops")])
        self.assertEqual(audit["entries"][3]["epoch"], 1)
        self.assertTrue(audit["entries"][3]["who"].startswith("file:"), audit["entries"][3])
        # Every routing key is on the one master that owns the {routing} slot.
        where = {}
        for master in redis_cluster.masters(self.cluster.redis_cluster_ports[0]):
            for key in redis_cluster.cli(master, "KEYS", "cm:{routing}:*").split():
                where[key] = master
        self.assertEqual(set(where), {"cm:{routing}:epoch", "cm:{routing}:active", "cm:{routing}:versions",
                                      "cm:{routing}:audit", "cm:{routing}:replicas"}
                         | {f"cm:{{routing}}:doc:{v}" for v in (1, 2, 3, 4)})
        self.assertEqual(len(set(where.values())), 1, where)


if __name__ == "__main__":
    unittest.main()
