"""Provisioning API end to end (issue 20, docs/provisioning.md): the routing table as versioned
documents in Redis, changed through the notification API and followed by two router replicas.
seed 000_246ae9c7ee9a1def.txt: a tracking number forwards to a receiving number; an admin changes
it through the API and the very next call rings the new one, whichever replica decides it. A bad
change is 422 naming the field, nothing changed; rollback restores the old plan; the audit names
who did what. seed 004_ee4e98a6a7f6781b.txt: an agent added once through the API (the agent
registry) signs in with its token, is rung by a company number's blast and shows presence with
its working hours read in its IANA zone. GitOps mode: the file wins, the API refuses writes."""

import datetime
import json
import os
import sys
import unittest
import urllib.error
import urllib.parse
import urllib.request
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, sum_samples, token_hash, uac, uas, wait_until  # noqa: E402

TRACKING = "+15550100"
COMPANY = "+15550200"
TOKENS = {"ops": "ops-admin-token-e2e", "bob": "bob-registry-token-e2e"}


def receiving(number, port):
    return {"number": number, "uri": f"sip:{number}@127.0.0.1:{port}"}


def tracking_yaml(port, number="+15550201"):
    r = receiving(number, port)
    return f"""locations:
  - {{id: hq, time_zone: America/New_York}}
agents:
  - {{id: alice, number: "+15550301", uri: "sip:alice@127.0.0.1:{free_port()}", location: hq}}
tracking_numbers:
  - number: "{TRACKING}"
    receiving_numbers: [{{number: "{r['number']}", uri: "{r['uri']}"}}]
"""


class Api:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def call(self, method, path, who="ops", body=None, raw=None, if_match=None):
        data = raw.encode() if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + urllib.parse.quote(path), data=data, method=method)
        req.add_header("Authorization", "Bearer " + TOKENS[who])
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if if_match is not None:
            req.add_header("If-Match", f'"{if_match}"')
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                text = r.read().decode()
                return r.status, (json.loads(text) if text.strip().startswith(("{", "[")) else text)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return e.code, (json.loads(text) if text.strip() else None)


class ProvisioningTest(unittest.TestCase):
    def start(self, routing_yaml, source="redis", routers=2, redis_cluster=None):
        # decision_reuse_ms 0: every call asks a router, so the ingress's round robin reaches both
        # replicas and each one's plan is seen. redis_cluster: as Cluster's (None follows
        # CALLMESH_E2E_REDIS).
        extra = f"  decision_reuse_ms: 0\n  routing_source: {source}\n"
        self.cluster = Cluster(routing_yaml, routers=routers, router_extra=extra, redis_cluster=redis_cluster)
        with open(self.cluster.config, "a") as f:
            f.write(f'  tokens:\n    "{token_hash(TOKENS["ops"])}": {{agent_id: ops, role: admin}}\n')
        self.cluster.start()
        self.addCleanup(self.cluster.cleanup)
        self.api = Api(self.cluster.ports["api"])
        return self.cluster

    def phone(self, scenario, port, name):
        p = uas(self.cluster, scenario, port, name)
        self.addCleanup(p.stop)
        return p

    def call(self, dialed, name, calls=1):
        return uac(self.cluster, dialed, calls=calls, rate=10, hold_ms=200, name=name)

    def wait_replicas_at(self, epoch):
        """Every router replica and the limiter report `epoch` (they are the API's followers)."""
        def at():
            status, body = self.api.call("GET", "/v1/admin/routing/replicas")
            live = [r for r in body["replicas"] if r["live"]] if status == 200 else []
            return len(live) == len(self.cluster.routers) + 1 and all(r["epoch"] == epoch for r in live)
        wait_until(at, 10, what=f"every router replica and the limiter at epoch {epoch}")

    def decisions(self, replica):
        """Calls this router replica decided, every rule."""
        _, body = self.cluster.http(replica, "/metrics")
        return sum_samples(body, "callmesh_router_decisions_total")


class RoutingThroughTheApi(ProvisioningTest):
    def test_change_bad_change_rollback_and_audit_across_two_replicas(self):
        old_port, new_port = free_port(), free_port()
        self.start(tracking_yaml(old_port))
        old_phone = self.phone("uas_answer.xml", old_port, "old")
        new_phone = self.phone("uas_answer.xml", new_port, "new")
        # A router seeded the empty Redis with the file: version 1, every replica on it.
        status, active = self.api.call("GET", "/v1/admin/routing")
        self.assertEqual(status, 200, active)
        self.assertEqual(active["epoch"], 1)
        self.assertEqual(active["action"], "import")
        self.wait_replicas_at(1)
        caller = self.call(TRACKING, "before", calls=2)
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(old_phone.count_when("answered", 2), 2)

        # Change the receiving number through the per-resource endpoint, If-Match the epoch read.
        path = f"/v1/admin/routing/tracking_numbers/{TRACKING}"
        status, entry = self.api.call("GET", path)
        self.assertEqual(status, 200, entry)
        status, done = self.api.call("PUT", path, if_match=1,
                                     body={"receiving_numbers": [receiving("+15550202", new_port)]})
        self.assertEqual(status, 200, done)
        self.assertEqual(done["epoch"], 2)
        self.assertTrue(done["converged"], done)
        # Both router replicas and the limiter report the new epoch before the API answers.
        self.assertEqual(sorted(r["epoch"] for r in done["replicas"]), [2, 2, 2])
        self.assertEqual(sorted(r["replica"].split(":")[0] == "limiter" for r in done["replicas"]),
                         [False, False, True])
        for replica in self.cluster.routers:
            self.assertEqual(self.cluster.metric(replica, "callmesh_router_config_epoch"), 2)
        # The very next calls ring the new number, whichever replica decides (round robin).
        before = {r: self.decisions(r) for r in self.cluster.routers}
        caller = self.call(TRACKING, "after_change", calls=4)
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(new_phone.count_when("answered", 4), 4, new_phone.log_file)
        self.assertEqual(old_phone.count("answered"), 2)
        for r in self.cluster.routers:
            self.assertGreater(self.decisions(r), before[r], f"{r} decided none of the calls")

        # A bad change: 422 naming the field path; the epoch, the document and the plan stay.
        status, refused = self.api.call("PUT", path, if_match=2,
                                        body={"receiving_numbers": [{"number": "+15550203", "uri": "tel:nope"}]})
        self.assertEqual(status, 422, refused)
        self.assertEqual(refused["error"], "invalid_routing")
        self.assertEqual(refused["errors"][0]["field"], "tracking_numbers[0].receiving_numbers[0].uri")
        self.assertEqual(self.cluster.redis("GET", "cm:{routing}:active"), "2")
        self.assertEqual(self.cluster.redis("GET", "cm:{routing}:epoch"), "2")
        # A stale If-Match is a conflict and changes nothing either.
        status, conflict = self.api.call("PUT", path, if_match=1,
                                         body={"receiving_numbers": [receiving("+15550204", old_port)]})
        self.assertEqual(status, 409, conflict)
        self.assertEqual(self.cluster.redis("GET", "cm:{routing}:active"), "2")
        caller = self.call(TRACKING, "after_refusals")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(new_phone.count_when("answered", 5), 5)

        # Rollback to version 1: a new epoch (3) carrying the old text; the old phone rings again.
        status, back = self.api.call("POST", "/v1/admin/routing/rollback", body={"version": 1})
        self.assertEqual(status, 200, back)
        self.assertEqual(back["epoch"], 3)
        self.assertTrue(back["converged"], back)
        caller = self.call(TRACKING, "after_rollback", calls=2)
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(old_phone.count_when("answered", 4), 4)
        self.assertEqual(new_phone.count("answered"), 5)

        # The audit: who, what, the diff; newest first.
        status, audit = self.api.call("GET", "/v1/admin/routing/audit")
        self.assertEqual(status, 200, audit)
        entries = audit["entries"]
        self.assertEqual([e["epoch"] for e in entries], [3, 2, 1])
        self.assertEqual(entries[0]["who"], "ops")
        self.assertEqual(entries[0]["action"], "rollback to 1")
        self.assertEqual(entries[1]["who"], "ops")
        self.assertEqual(entries[1]["action"], f"put tracking_numbers/{TRACKING}")
        diff_lines = entries[1]["diff"].splitlines()
        self.assertTrue(any(l.startswith("-") and f"127.0.0.1:{old_port}" in l for l in diff_lines), diff_lines)
        self.assertTrue(any(l.startswith("+") and f"127.0.0.1:{new_port}" in l for l in diff_lines), diff_lines)
        status, versions = self.api.call("GET", "/v1/admin/routing/versions")
        self.assertEqual([v["epoch"] for v in versions["versions"]], [3, 2, 1])
        self.assertEqual(versions["active"], 3)

    def test_validate_and_dry_run_change_nothing(self):
        old_port, new_port = free_port(), free_port()
        self.start(tracking_yaml(old_port), routers=1)
        status, body = self.api.call("POST", "/v1/admin/routing/validate",
                                     raw="tracking_numbers:\n  - number: \"call me\"\n")
        self.assertEqual(status, 422, body)
        self.assertEqual(body["errors"][0]["field"], "tracking_numbers[0].number")
        status, body = self.api.call("POST", "/v1/admin/routing/dry-run", body={
            "yaml": tracking_yaml(new_port, "+15550202"),
            "calls": [{"dialed": TRACKING, "caller": "+15557770000", "at": "2026-11-02T15:00:00Z"}]})
        self.assertEqual(status, 200, body)
        row = body["results"][0]
        self.assertTrue(row["changed"])
        self.assertIn(f"127.0.0.1:{old_port}", row["current"]["steps"][0]["targets"][0]["uri"])
        self.assertIn(f"127.0.0.1:{new_port}", row["proposed"]["steps"][0]["targets"][0]["uri"])
        self.assertEqual(self.cluster.redis("GET", "cm:{routing}:active"), "1")


class AgentRegistry(ProvisioningTest):
    def test_an_agent_added_once_signs_in_is_rung_by_a_blast_and_shows_presence(self):
        bob_port = free_port()
        self.start(tracking_yaml(free_port()), routers=2)
        bob_phone = self.phone("uas_answer.xml", bob_port, "bob")
        ny = zoneinfo.ZoneInfo("America/New_York")
        today = datetime.datetime.now(ny).strftime("%a").lower()[:3]
        bob = {"number": "+15550302", "uri": f"sip:bob@127.0.0.1:{bob_port}",
               "time_zone": "America/New_York", "role": "agent",
               "api_token_sha256": token_hash(TOKENS["bob"]),
               "working_hours": [{"days": today, "from": "00:00", "to": "24:00"}]}
        status, done = self.api.call("PUT", "/v1/admin/routing/agents/bob", body=bob)
        self.assertEqual(status, 200, done)
        status, done = self.api.call("PUT", f"/v1/admin/routing/company_numbers/{COMPANY}", body={
            "location": "hq", "ring_timeout_s": 5, "unknown_callers": {"default": {"blast": ["bob"]}}})
        self.assertEqual(status, 200, done)
        self.assertTrue(done["converged"], done)
        # Sign in: notification follows the registry within a second.
        wait_until(lambda: self.api.call("GET", "/v1/me", who="bob")[0] == 200, 5, what="bob's token")
        self.assertEqual(self.api.call("GET", "/v1/me", who="bob")[1],
                         {"agent_id": "bob", "role": "agent"})
        # Rung by the blast (the caller is unknown: no contact has its number).
        caller = self.call(COMPANY, "blast")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(bob_phone.count_when("answered", 1), 1, bob_phone.log_file)
        # Presence: inside the working hours of today in New York.
        status, me = self.api.call("GET", "/v1/agents/bob", who="bob")
        self.assertEqual(status, 200, me)
        self.assertEqual(me["agent_id"], "bob")
        self.assertTrue(me["in_working_hours"], me)
        # Hours only tomorrow: presence follows the registry to "outside".
        tomorrow = (datetime.datetime.now(ny) + datetime.timedelta(days=1)).strftime("%a").lower()[:3]
        bob["working_hours"] = [{"days": tomorrow, "from": "00:00", "to": "24:00"}]
        status, done = self.api.call("PUT", "/v1/admin/routing/agents/bob", body=bob)
        self.assertEqual(status, 200, done)
        wait_until(lambda: self.api.call("GET", "/v1/agents/bob", who="bob")[1]["in_working_hours"] is False,
                   5, what="presence to read bob's new hours")


class RuntimeCaps(ProvisioningTest):
    def test_a_cap_lowered_through_the_api_refuses_the_next_call_over_it(self):
        """seed 004_ee4e98a6a7f6781b.txt: at most 50 simultaneous calls per company number by
        default; a per-number cap set through the API holds from the next call, and raising it
        again admits them."""
        port = free_port()
        self.start(tracking_yaml(port), routers=1)
        phone = self.phone("uas_answer.xml", port, "phone")
        self.wait_replicas_at(1)
        status, done = self.api.call("PUT", f"/v1/admin/routing/number_caps/{TRACKING}", body={"cap": 1})
        self.assertEqual(status, 200, done)
        self.assertTrue(done["converged"], done)
        self.assertIn("runtime_caps_applied", self.cluster.log("concurrency-limiter"))
        caller = uac(self.cluster, TRACKING, calls=3, rate=100, hold_ms=3000, name="capped")
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.count("answered"), 1)
        self.assertEqual(caller.count("busy"), 2)
        status, done = self.api.call("PUT", f"/v1/admin/routing/number_caps/{TRACKING}", body={"cap": 3})
        self.assertEqual(status, 200, done)
        self.assertTrue(done["converged"], done)
        caller = uac(self.cluster, TRACKING, calls=3, rate=100, hold_ms=1000, name="raised")
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.count("answered"), 3)
        self.assertEqual(phone.count_when("answered", 4), 4)


class GitOps(ProvisioningTest):
    def test_the_file_wins_and_is_mirrored_read_only(self):
        port = free_port()
        self.start(tracking_yaml(port), source="file", routers=1)
        wait_until(lambda: self.api.call("GET", "/v1/admin/routing")[0] == 200, 5, what="the mirror")
        status, active = self.api.call("GET", "/v1/admin/routing")
        self.assertEqual(active["action"], "gitops")
        with open(os.path.join(self.cluster.dir, "routing.yaml")) as f:
            self.assertEqual(active["yaml"], f.read())
        status, refused = self.api.call("POST", "/v1/admin/routing/activate", raw=tracking_yaml(port))
        self.assertEqual(status, 409, refused)
        self.assertEqual(refused["error"], "gitops")
        self.assertEqual(self.cluster.redis("GET", "cm:{routing}:epoch"), "1")


if __name__ == "__main__":
    unittest.main()
