"""notification.trusted_proxies end to end: redis-server and the real callmesh-notification on
loopback. Failed-auth throttling keys on the client: behind a trusted proxy (a Kubernetes ingress
controller, here a socket bound to 127.0.0.2) the client X-Forwarded-For names, else the TCP peer.
Loopback gives distinct peers without any network setup: every 127.0.0.0/8 address is local.
Each test asserts exact statuses, the refusal metric and that the 429 came to the right client."""

import json
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_streams import metric, read_response, start_api, token  # noqa: E402

PROXY = "127.0.0.2"  # in notification.trusted_proxies
OUTSIDER = "127.0.0.3"  # not: reaches the API directly
BAD = "not-a-token"


class TrustedProxies(unittest.TestCase):
    def setUp(self):
        # Three bad tokens per client, then 429 for a minute (6 a minute: 10 s per token back).
        extra = ("  api_auth_failures_burst: 3\n  api_auth_failures_per_min: 6\n"
                 f'  trusted_proxies: ["{PROXY}/32", "fd00:cafe::/64"]\n')
        self.cluster, self.port = start_api(["alice", "bob"], extra)
        self.addCleanup(self.cluster.cleanup)
        self.socks = {}
        self.addCleanup(lambda: [s.close() for s in self.socks.values()])

    def request(self, source, bearer, forwarded=None):
        """GET /v1/me on one keep-alive connection per source address (a proxy carries many
        clients' requests over one connection): (status, headers, JSON body)."""
        sock = self.socks.get(source)
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((source, 0))
            sock.connect(("127.0.0.1", self.port))
            self.socks[source] = sock
        head = f"GET /v1/me HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer {bearer}\r\n"
        for value in ([forwarded] if isinstance(forwarded, str) else forwarded or []):
            head += f"X-Forwarded-For: {value}\r\n"
        sock.sendall((head + "\r\n").encode())
        status, headers, body = read_response(sock)
        return status, headers, json.loads(body) if body.strip() else None

    def throttled(self):
        return metric(self.cluster, "callmesh_notification_api_refusals_total", 'reason="auth_throttled"')

    def test_behind_a_trusted_proxy_each_real_client_has_its_own_failed_sign_in_budget(self):
        # An outsider guessing tokens through the ingress controller: its three 401s...
        for _ in range(3):
            self.assertEqual(self.request(PROXY, BAD, "203.0.113.7")[0], 401)
        # ...then 429 for it, even with a good token, naming the real client.
        status, headers, body = self.request(PROXY, token("alice"), "203.0.113.7")
        self.assertEqual(status, 429)
        self.assertIn(headers["retry-after"], ("9", "10"))
        self.assertEqual(body["error"], "too_many_requests")
        self.assertIn("from 203.0.113.7;", body["message"])
        # Every other agent behind the same proxy, on the same connection, is not locked out.
        status, _, body = self.request(PROXY, token("bob"), "198.51.100.20")
        self.assertEqual((status, body["agent_id"]), (200, "bob"))
        # A chain of proxies: the client forged a hop on the left; a load balancer inside the
        # trusted range appended the client it saw. The rightmost untrusted hop is the client.
        forged = "10.9.9.9, 203.0.113.7, 127.0.0.2"
        self.assertEqual(self.request(PROXY, token("alice"), forged)[0], 429)
        self.assertEqual(self.request(PROXY, token("alice"), "203.0.113.7, 198.51.100.20")[0], 200)
        # IPv6 clients, written two ways, are one client.
        for _ in range(3):
            self.assertEqual(self.request(PROXY, BAD, "2001:db8::7")[0], 401)
        self.assertEqual(self.request(PROXY, token("bob"), "[2001:DB8:0::7]:4711")[0], 429)
        self.assertEqual(self.throttled(), 3)
        # The proxy's own address never collected the failures.
        self.assertEqual(self.request(PROXY, token("bob"))[0], 200)

    def test_a_spoofed_header_from_an_untrusted_peer_does_not_escape_its_limit(self):
        # A client reaching the API directly sends a new X-Forwarded-For with every guess.
        for i in range(3):
            status, _, _ = self.request(OUTSIDER, BAD, [f"203.0.113.{i + 1}", f"{PROXY}"])
            self.assertEqual(status, 401)
        status, _, body = self.request(OUTSIDER, token("alice"), "203.0.113.99")
        self.assertEqual(status, 429)
        self.assertIn(f"from {OUTSIDER};", body["message"])
        self.assertEqual(self.throttled(), 1)
        # The addresses it claimed were never charged: a client behind the proxy with one of
        # them signs in.
        status, _, body = self.request(PROXY, token("bob"), "203.0.113.1")
        self.assertEqual((status, body["agent_id"]), (200, "bob"))


if __name__ == "__main__":
    unittest.main()
