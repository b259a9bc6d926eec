"""Replicas on one machine, one Redis (issue 7, docs/scale-plan.md "Simulation at 1/100"):
two ingress, two router and two notification replicas, one concurrency-limiter and one
agent-presence. Each ingress talks to its own router and notification replica (replicas.py).

* The cap holds across ingress replicas: 60 simultaneous long calls to one number with cap 50,
  30 through each ingress -> exactly 50 connected, 10 refused with 486, 50 slots in Redis.
* At 1/100 of the target (1,000 locations x 50 calls): 10 numbers x 56 simultaneous calls, half
  through each ingress -> exactly 50 connected per number (500 at once), 6 refused per number.
* Claims hold across notification replicas: for each of 20 missed calls, two agents claim at the
  same moment through different replicas -> exactly one 200 and one 409 naming the winner.
"""

import json
import os
import sys
import threading
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from cluster import free_port, sum_samples, token_hash, wait_until  # noqa: E402
from replicas import ReplicaCluster  # noqa: E402

CAPPED = "+15550100"
NUMBERS = [f"+1555011{i}" for i in range(10)]  # ten "locations" at 1/100 scale
COMPANY = "+15550200"
TOKENS = {"alice": "alice-token-scale", "bob": "bob-token-scale"}


def routing(phone_port, alice_port, bob_port):
    tracking = "".join(f"""  - number: "{n}"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
""" for n in [CAPPED] + NUMBERS)
    return f"""tracking_numbers:
{tracking}locations:
  - {{id: hq, time_zone: UTC}}
agents:
  - {{id: alice, number: "+15550301", uri: "sip:alice@127.0.0.1:{alice_port}", location: hq}}
  - {{id: bob, number: "+15550302", uri: "sip:bob@127.0.0.1:{bob_port}", location: hq}}
company_numbers:
  - number: "{COMPANY}"
    location: hq
    ring_timeout_s: 5
    unknown_callers:
      default: {{blast: [alice, bob]}}
"""


NOTIFICATION_EXTRA = f"""  tokens:
    "{token_hash(TOKENS['alice'])}": {{agent_id: alice}}
    "{token_hash(TOKENS['bob'])}": {{agent_id: bob}}
"""


def api(port, method, path, who, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Authorization", "Bearer " + TOKENS[who])
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=15) as r:
            return r.status, json.loads(r.read().decode() or "null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "null")


class Replicas(unittest.TestCase):
    def setUp(self):
        self.phone_port, self.alice_port, self.bob_port = free_port(), free_port(), free_port()
        self.cluster = ReplicaCluster(routing(self.phone_port, self.alice_port, self.bob_port), cap=50,
                                      notification_extra=NOTIFICATION_EXTRA).start()
        self.addCleanup(self.cluster.cleanup)
        self.ingresses = self.cluster.replicas["ingress"]
        self.routers = self.cluster.replicas["router"]
        self.notifications = self.cluster.replicas["notification"]

    def sipp(self, s):
        self.addCleanup(s.stop)
        return s

    def outcomes(self, callers):
        return sum(c.count("answered") + c.count("busy") for c in callers)

    def test_cap_of_50_holds_across_two_ingress_replicas(self):
        phone = self.sipp(self.cluster.uas("uas_answer.xml", self.phone_port, "phone"))
        callers = [self.sipp(self.cluster.uac(ing, CAPPED, calls=30, rate=100, hold_ms=6000, name=f"caller{i}"))
                   for i, ing in enumerate(self.ingresses)]
        wait_until(lambda: self.outcomes(callers) == 60, 30, what="60 outcomes")
        # While the calls last: 50 leases in Redis, 50 connected over both ingresses.
        self.assertEqual(self.cluster.redis("ZCARD", f"cm:{{{CAPPED}}}:slots"), "50")
        answered = [c.count("answered") for c in callers]
        busy = [c.count("busy") for c in callers]
        self.assertEqual(sum(answered), 50, (answered, busy))
        self.assertEqual(sum(busy), 10, (answered, busy))
        self.assertTrue(all(a > 0 for a in answered), f"both ingresses connected calls: {answered}")
        for c in callers:
            self.assertEqual(c.wait(timeout=30), 0, c.out_file)
        self.assertEqual(phone.count_when("answered", 50), 50)
        # Every replica did its share, and the counters add up across replicas.
        for ing in self.ingresses:
            self.assertEqual(self.cluster.metric(ing, "callmesh_ingress_calls_offered_total"), 30)
        # Each ingress routed every call it connected, asking its own router or reusing a decision
        # it kept for the number (a number forwarded to one phone depends on the number alone).
        # A call refused at the cap before its decision came is not routed; the router still
        # decided it.
        for ing, rt, caller in zip(self.ingresses, self.routers, callers):
            routed = self._sum_family(ing, "callmesh_ingress_route_decisions_total")
            self.assertGreaterEqual(routed, caller.count("answered"), f"{ing.name} routed {routed}")
            self.assertLessEqual(routed, 30, f"{ing.name} routed {routed}")
            asked = self._sum_family(ing, "callmesh_ingress_route_decisions_total", 'source="router"')
            decided = self._sum_family(rt, "callmesh_router_decisions_total")
            self.assertGreaterEqual(decided, max(asked, 1), f"{rt.name} decided {decided}, {ing.name} asked {asked}")
        self.assertEqual(self.cluster.total("ingress", "callmesh_ingress_calls_answered_total"), 50)
        self.assertEqual(self.cluster.total("ingress", "callmesh_ingress_cap_rejections_total"), 10)
        self.assertEqual(self.cluster.total("concurrency-limiter", "callmesh_concurrency_limiter_rejected_total",
                                            'number="other"'), 10)
        wait_until(lambda: self.cluster.redis("ZCARD", f"cm:{{{CAPPED}}}:slots") == "0", 10,
                   what="every slot released")

    def test_one_hundredth_scale_ten_numbers_fifty_each_over_two_ingresses(self):
        phone = self.sipp(self.cluster.uas("uas_answer.xml", self.phone_port, "phone"))
        cpu_before = self.cpu_seconds()
        self.cluster.redis("CONFIG", "RESETSTAT")
        per_ingress = 28  # 56 per number: 50 connect, 6 get 486
        callers = []
        for n in NUMBERS:
            for i, ing in enumerate(self.ingresses):
                callers.append(self.sipp(self.cluster.uac(ing, n, calls=per_ingress, rate=40, hold_ms=12000,
                                                          name=f"c{n[-2:]}_{i}")))
        total = len(NUMBERS) * per_ingress * 2
        wait_until(lambda: self.outcomes(callers) == total, 60, 0.2,
                   what=f"{total} outcomes (now {self.outcomes(callers)})")
        live = {n: self.cluster.redis("ZCARD", f"cm:{{{n}}}:slots") for n in NUMBERS}
        self.assertEqual(live, {n: "50" for n in NUMBERS})
        by_number = {}
        for idx, n in enumerate(NUMBERS):
            pair = callers[2 * idx:2 * idx + 2]
            by_number[n] = (sum(c.count("answered") for c in pair), sum(c.count("busy") for c in pair))
        self.assertEqual(by_number, {n: (50, 6) for n in NUMBERS})
        self.assertEqual(sum(self.cluster.metric(i, "callmesh_ingress_active_calls") for i in self.ingresses),
                         500)
        for c in callers:
            self.assertEqual(c.wait(timeout=60), 0, c.out_file)
        self.assertEqual(phone.count_when("answered", 500), 500)
        wait_until(lambda: all(self.cluster.redis("ZCARD", f"cm:{{{n}}}:slots") == "0" for n in NUMBERS), 15,
                   what="every slot released")
        # For docs/scale-plan.md: CPU per call attempt by service (process_cpu_seconds_total from
        # each replica's /metrics). Printed, never asserted: speed belongs in benchmarks.
        cpu_after = self.cpu_seconds()
        print(f"\nCPU per call attempt ({total} attempts, 500 connected, {self.cluster.redis('DBSIZE')} keys):")
        for svc in cpu_after:
            used = cpu_after[svc] - cpu_before[svc]
            print(f"  {svc:<20} {1000 * used / total:7.3f} ms  ({used:.2f} s over {len(self.cluster.replicas[svc])}"
                  f" replica(s))")
        info = self.cluster.redis("INFO", "commandstats")
        calls = sum(int(part.split("=")[1]) for line in info.splitlines() if line.startswith("cmdstat_")
                    for part in line.split(":", 1)[1].split(",") if part.startswith("calls="))
        print(f"  redis commands (all, incl. inside scripts and renewals): {calls} = {calls / total:.1f} per attempt")
        for line in info.splitlines():
            if line.startswith("cmdstat_"):
                name, stats = line[len("cmdstat_"):].split(":", 1)
                n = int(stats.split("calls=")[1].split(",")[0])
                print(f"    {name:<18} {n:>7}  {n / total:6.2f} per attempt")

    def test_concurrent_claims_through_two_notification_replicas_have_one_winner(self):
        for name, port in (("alice", self.alice_port), ("bob", self.bob_port)):
            self.sipp(self.cluster.uas("uas_busy.xml", port, name))
        missed = 20
        callers = [self.sipp(self.cluster.uac(ing, COMPANY, calls=missed // 2, rate=20, hold_ms=0, name=f"m{i}",
                                              scenario="uac_reject.xml"))
                   for i, ing in enumerate(self.ingresses)]
        for c in callers:
            self.assertEqual(c.wait(timeout=60), 0, c.out_file)
        wait_until(lambda: self.cluster.unclaimed_count() == str(missed), 15,
                   what=f"{missed} missed-call records")
        # Each ingress sent its call events to its own notification replica.
        for n in self.notifications:
            self.assertEqual(self.cluster.metric(n, "callmesh_notification_missed_calls_total"), missed // 2)
        a_port, b_port = (n.api for n in self.notifications)
        status, body = api(a_port, "GET", "/v1/notifications", "alice")
        self.assertEqual(status, 200, body)
        ids = [x["id"] for x in body["notifications"]]
        self.assertEqual(len(ids), missed)

        results = {}
        for note_id in ids:
            barrier = threading.Barrier(2)
            got = {}

            def claim(who, port, note_id=note_id, barrier=barrier, got=got):
                barrier.wait(timeout=5)
                got[who] = api(port, "POST", f"/v1/notifications/{note_id}/claim", who, {"action": "call_back"})
            threads = [threading.Thread(target=claim, args=("alice", a_port)),
                       threading.Thread(target=claim, args=("bob", b_port))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=20)
            results[note_id] = got

        winners = {}
        for note_id, got in results.items():
            codes = sorted(s for s, _ in got.values())
            self.assertEqual(codes, [200, 409], f"{note_id}: {got}")
            winner = next(who for who, (s, _) in got.items() if s == 200)
            loser = next(who for who, (s, _) in got.items() if s == 409)
            self.assertEqual(got[loser][1]["claimed_by"], winner)
            self.assertEqual(self.cluster.redis("HGET", f"cm:notif:{{{note_id}}}", "claimed_by"), winner)
            winners[note_id] = winner
        self.assertEqual(self.cluster.unclaimed_count(), "0")
        # Each replica counted the claims it served: won + held over both = 2 per record.
        won = sum(self.cluster.metric(n, "callmesh_notification_claims_total", 'outcome="won"')
                  for n in self.notifications)
        held = sum(self.cluster.metric(n, "callmesh_notification_claims_total", 'outcome="held"')
                   for n in self.notifications)
        self.assertEqual((won, held), (missed, missed))

    def cpu_seconds(self):
        return {svc: sum(self.cluster.metric(r, "process_cpu_seconds_total") for r in rs)
                for svc, rs in self.cluster.replicas.items()}

    def _sum_family(self, replica, name, having=""):
        _, body = self.cluster.http(replica, "/metrics")
        return sum_samples(body, name, having)


if __name__ == "__main__":
    unittest.main()
