"""ZeroMQ between the services (issue 18 item 4), against the real cluster: every service talks
CURVE with keys written by callmesh-zmq-keys; a peer without the cluster's client key gets no
answer and changes nothing in Redis (presence, slots, notifications); a frame over the bound is
dropped by the socket; one ingress spreads its requests over three router replicas."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import BUILD_DIR, Cluster, free_port, sum_samples, uac, uas, wait_until  # noqa: E402

PEER = os.path.join(BUILD_DIR, "tests", "e2e", "callmesh-e2e-zmq-peer")
KEYGEN = os.path.join(BUILD_DIR, "tools", "zmq-keys", "callmesh-zmq-keys")
SLOTS_KEY = "cm:{+15550100}:slots"


def routing(uas_port):
    return f"""tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{uas_port}"
"""


class ZmqSecurity(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster(routing(free_port())).start()
        self.addCleanup(self.cluster.cleanup)
        # A keypair the cluster never saw (another run of the key tool).
        subprocess.run([KEYGEN, os.path.join(self.cluster.dir, "stranger")], check=True, capture_output=True,
                       timeout=30)

    def keys(self, owner, service):
        """(--key FILE, --server-key KEY) for a peer holding `owner`'s keypair and talking to `service`."""
        directory = "stranger" if owner == "stranger" else "zmq-keys"
        key_owner = "ingress" if owner == "stranger" else owner
        return ["--key", os.path.join(self.cluster.dir, directory, f"{key_owner}.key"),
                "--server-key", self.cluster.public_key(service)]

    def send(self, target, message, identity, *extra, why=None):
        """Runs the outside peer; True when `target` answered. `why`: what the peer must report
        when it got no answer (its handshake refused, or the request unanswered)."""
        service = {"limiter": "concurrency-limiter", "presence": "agent-presence"}.get(target, target)
        args = [PEER, "--endpoint", self.cluster.zmq_endpoint(target), "--message", message,
                "--agent", "alice", "--number", "+15550100", "--call-id", "victim-call", "--wait-ms", "1200"]
        if identity != "no-curve":
            args += self.keys(identity, service)
        out = subprocess.run(args + list(extra), capture_output=True, text=True, timeout=30)
        self.assertIn(out.returncode, (0, 3), out.stderr)
        if why is not None and out.returncode == 3:
            self.assertIn(why, out.stdout)
        return out.returncode == 0

    def snapshot(self):
        """Every key in Redis with its serialized value: any write would change it. Left out:
        `cm:{routing}:replicas`, where every router and limiter replica reports the routing version
        it runs on every 250 ms (docs/redis-keys.md), a write of their own."""
        keys = sorted(k for k in self.cluster.redis("KEYS", "*").splitlines()
                      if k and k != "cm:{routing}:replicas")
        return {k: subprocess.run(["redis-cli", "-p", str(self.cluster.ports["redis"]), "DUMP", k],
                                  capture_output=True, timeout=5).stdout for k in keys}

    def test_a_peer_without_the_cluster_key_gets_no_answer_and_changes_nothing(self):
        # A live call's slot, taken the way the ingress takes it: with the ingress's own key.
        self.assertTrue(self.send("limiter", "slot-acquire", "ingress"))
        self.assertEqual(self.cluster.redis("ZCARD", SLOTS_KEY), "1")
        before = self.snapshot()
        forged = [("presence", "presence-dnd"), ("limiter", "slot-release"), ("notification", "missed-call")]
        # A stranger's key, a cluster key that is no client of these servers (the router's), no CURVE.
        # Keys the servers do not list are refused by their ZAP handler (status 400); a peer
        # without CURVE fails the handshake itself (libzmq reports a protocol error or, when the
        # server closes first, no detail): no request ever reaches a handler.
        refusals = {"stranger": "handshake refused by the server (ZAP status 400)",
                    "router": "handshake refused by the server (ZAP status 400)",
                    "no-curve": "handshake failed"}
        for identity, why in refusals.items():
            for target, message in forged:
                with self.subTest(identity=identity, message=message):
                    self.assertFalse(self.send(target, message, identity, why=why), f"{identity} got an answer")
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.cluster.redis("ZCARD", SLOTS_KEY), "1")
        self.assertEqual(self.cluster.unclaimed_count(), "0")
        for svc in ("concurrency-limiter", "agent-presence", "notification"):
            self.assertGreaterEqual(self.cluster.metric(svc, "callmesh_zmq_handshakes_total", 'result="refused"'), 2,
                                    svc)
        # The same messages with a client's key do what they say: the refusals above were real.
        self.assertTrue(self.send("limiter", "slot-release", "ingress"))
        self.assertEqual(self.cluster.redis("ZCARD", SLOTS_KEY), "0")
        self.assertTrue(self.send("presence", "presence-dnd", "notification"))
        self.assertNotEqual(self.snapshot().keys() - before.keys(), set())
        self.assertTrue(self.send("notification", "missed-call", "ingress"))
        wait_until(lambda: self.cluster.unclaimed_count() == "1", 5,
                   what="the missed call recorded")

    def test_a_frame_over_the_bound_is_dropped_by_the_socket(self):
        # 300 KiB in one frame (the bound is 256 KiB): libzmq drops the connection before the
        # limiter reads it, so the limiter neither answers nor logs a refused request.
        self.assertFalse(self.send("limiter", "slot-acquire", "ingress", "--call-id-bytes", str(300 * 1024),
                                   why="no reply after 1 attempt"))
        self.assertNotIn("request_dropped", self.cluster.log("concurrency-limiter"))
        self.assertEqual(self.cluster.redis("EXISTS", SLOTS_KEY), "0")
        # The same request under the bound is served.
        self.assertTrue(self.send("limiter", "slot-acquire", "ingress"))
        self.assertEqual(self.cluster.redis("ZCARD", SLOTS_KEY), "1")


class RouterReplicas(unittest.TestCase):
    def test_three_router_replicas_each_take_a_share_of_one_ingress(self):
        uas_port = free_port()
        # decision_reuse_ms: 0 so every call asks a router (no decision reused from an earlier one).
        cluster = Cluster(routing(uas_port), routers=3, router_extra="  decision_reuse_ms: 0\n").start()
        self.addCleanup(cluster.cleanup)
        phone = uas(cluster, "uas_answer.xml", uas_port, "phone")
        self.addCleanup(phone.stop)
        caller = uac(cluster, "+15550100", calls=60, rate=20, hold_ms=100, name="caller")
        self.assertEqual(caller.wait(timeout=60), 0, "SIPp reports failed calls: " + caller.out_file)
        self.assertEqual(caller.count("answered"), 60)
        shares = {}
        for replica in cluster.routers:
            _, body = cluster.http(replica, "/metrics")
            shares[replica] = sum_samples(body, "callmesh_router_decisions_total")
        self.assertEqual(sum(shares.values()), 60, shares)
        for replica, count in shares.items():
            self.assertGreaterEqual(count, 10, shares)  # 60 over 3: each takes a share


if __name__ == "__main__":
    unittest.main()
