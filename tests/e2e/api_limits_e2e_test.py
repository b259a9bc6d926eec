"""The notification API's bounds end to end (issue 17 items 1 and 2): redis-server and the real
callmesh-notification on loopback, clients on raw sockets. Each test asserts the exact status,
the Retry-After, the refusal metric, and that the refused request changed nothing."""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_streams import (Publisher, closed_by_peer, get, metric, open_stream, missed_call_event,  # noqa: E402
                         raw, read_response, sse_events, start_api, token)
from cluster import wait_until  # noqa: E402

REFUSALS = "callmesh_notification_api_refusals_total"
CALLER = "+15557770000"


def refusals(cluster, reason):
    return metric(cluster, REFUSALS, f'reason="{reason}"')


class ApiLimitsE2E(unittest.TestCase):
    extra = ""
    agents = ["alice", "bob"]

    def setUp(self):
        self.cluster, self.port = start_api(self.agents, self.extra)
        self.addCleanup(self.cluster.cleanup)
        self.socks = []
        self.addCleanup(lambda: [s.close() for s in self.socks])

    def keep(self, sock):
        self.socks.append(sock)
        return sock


class RateAndAuth(ApiLimitsE2E):
    extra = ("  api_rate_per_s: 1\n  api_rate_burst: 5\n"
             "  api_auth_failures_burst: 3\n  api_auth_failures_per_min: 6\n")

    def test_request_rate_overrun_is_429_with_retry_after_and_changes_nothing(self):
        # A burst of 5 (start_api's readiness probe took one; refill is 1 a second, so one more
        # may have come back if this machine was slow): 200s, then a 429.
        status, headers, body = until_refused(self.port, "alice", self)
        self.assertEqual(status, 429)
        self.assertEqual(headers["Retry-After"], "1")
        self.assertEqual(body["error"], "too_many_requests")
        self.assertIn("'alice'", body["message"])
        self.assertEqual(get(self.port, "/v1/me", "bob")[0], 200)  # bob has his own budget
        # An admin over budget: the contact it tries to create is not created.
        self.assertEqual(until_refused(self.port, "root", self)[0], 429)
        status, headers, body = get(self.port, "/v1/contacts", "root", "POST",
                                    {"name": "Pat", "numbers": [CALLER]})
        self.assertEqual((status, headers["Retry-After"], body["error"]), (429, "1", "too_many_requests"))
        self.assertEqual(self.cluster.redis("EXISTS", f"cm:contacts:number:{{{CALLER}}}"), "0")
        self.assertEqual(refusals(self.cluster, "rate_limited"), 3)
        time.sleep(1.1)  # the Retry-After, honoured
        self.assertEqual(get(self.port, "/v1/me", "alice")[0], 200)

    def test_failed_sign_ins_from_one_address_are_throttled_even_with_a_good_token(self):
        for _ in range(3):
            req = b"GET /v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer not-a-token\r\n\r\n"
            status, _, _, sock = raw(self.port, req)
            self.keep(sock)
            self.assertEqual(status, 401)
        status, headers, body = get(self.port, "/v1/me", "alice")
        self.assertEqual(status, 429)
        self.assertIn(headers["Retry-After"], ("9", "10"))  # 6 a minute: one every 10 s
        self.assertEqual(body["error"], "too_many_requests")
        self.assertIn("failed sign-ins", body["message"])
        self.assertEqual(refusals(self.cluster, "auth_throttled"), 1)
        self.assertEqual(refusals(self.cluster, "rate_limited"), 0)


class Streams(ApiLimitsE2E):
    extra = "  api_streams_per_agent: 3\n  api_stream_queue_bytes: 65536\n"
    agents = ["alice", "bob"]

    def test_the_fourth_stream_of_an_agent_is_429_and_the_first_three_still_get_events(self):
        streams = []
        for _ in range(3):
            status, sock, _ = open_stream(self.port, "alice")
            self.assertEqual(status, 200)
            streams.append(self.keep(sock))
        status, headers, body, sock = raw(self.port, open_stream_request("alice"))
        self.keep(sock)
        self.assertEqual(status, 429)
        self.assertEqual(headers["retry-after"], "5")
        self.assertIn(b'"error":"too_many_streams"', body)
        self.assertEqual(refusals(self.cluster, "streams_per_agent"), 1)
        status, bob, _ = open_stream(self.port, "bob")  # bob's own cap
        self.assertEqual(status, 200)
        self.keep(bob)
        self.assertEqual(metric(self.cluster, "callmesh_notification_api_streams"), 4)
        pub = Publisher(self.cluster.ports["redis"])
        self.addCleanup(pub.close)
        pub.publish([missed_call_event("carol")])
        for s in streams + [bob]:
            self.assertEqual(read_events(s, 1), ["notification.created"])
        streams[0].close()  # a tab closed: its slot is free again
        wait_until(lambda: metric(self.cluster, "callmesh_notification_api_streams") == 3, 5,
                   what="the closed stream counted out")
        status, sock, _ = open_stream(self.port, "alice")
        self.keep(sock)
        self.assertEqual(status, 200)

    def test_a_stream_that_never_reads_is_dropped_and_the_others_get_every_event(self):
        status, stalled, _ = open_stream(self.port, "alice", rcvbuf=4096)
        self.keep(stalled)
        self.assertEqual(status, 200)
        status, reader, _ = open_stream(self.port, "bob")
        self.keep(reader)
        self.assertEqual(status, 200)
        pub = Publisher(self.cluster.ports["redis"])
        self.addCleanup(pub.close)
        got = []
        # 40 bursts of 5 events of ~4 KB: 800 KB, far past the stalled stream's kernel buffers and
        # 64 KB queue, while a burst (20 KB) always fits the reading stream's queue.
        for burst in range(40):
            pub.publish([missed_call_event(f"a{burst}-{i}", pad=4000) for i in range(5)])
            got += read_events(reader, 5)
        self.assertEqual(len(got), 200, f"slow_stream refusals: {refusals(self.cluster, 'slow_stream')}")
        wait_until(lambda: refusals(self.cluster, "slow_stream") == 1, 5, what="the stalled stream dropped")
        self.assertEqual(metric(self.cluster, "callmesh_notification_api_streams"), 1)
        self.assertTrue(closed_by_peer(stalled, 5))  # after what was buffered, EOF
        pub.publish([missed_call_event("after")])
        self.assertEqual(read_events(reader, 1), ["notification.created"])


class SlowAndOversized(ApiLimitsE2E):
    extra = "  api_read_timeout_ms: 1000\n"

    def test_half_a_header_then_silence_is_closed_after_the_read_deadline(self):
        sock = self.keep(socket.create_connection(("127.0.0.1", self.port)))
        sock.sendall(b"GET /v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bea")
        started = time.monotonic()
        self.assertTrue(closed_by_peer(sock, 10))
        self.assertGreaterEqual(time.monotonic() - started, 0.9)  # not before its deadline
        self.assertEqual(refusals(self.cluster, "read_timeout"), 1)
        self.assertEqual(get(self.port, "/v1/me", "alice")[0], 200)  # everyone else unaffected

    def test_oversized_header_is_431_and_oversized_body_413_changing_nothing(self):
        big = b"X-Padding: " + b"a" * 9000 + b"\r\n"
        status, headers, body, sock = raw(self.port, b"GET /v1/me HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
        self.keep(sock)
        self.assertEqual(status, 431)
        self.assertIn(b'"error":"header_too_large"', body)
        self.assertEqual(headers["connection"], "close")
        self.assertTrue(closed_by_peer(sock, 5))
        payload = b'{"name":"Pat","numbers":["' + CALLER.encode() + b'"],"notes":"' + b"n" * 70000 + b'"}'
        head = (f"POST /v1/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token('root')}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode()
        status, headers, body, sock = raw(self.port, head + payload)
        self.keep(sock)
        self.assertEqual(status, 413)
        self.assertIn(b'"error":"body_too_large"', body)
        # The same body chunked (no Content-Length to refuse up front): refused while read.
        chunked = head.replace(f"Content-Length: {len(payload)}".encode(), b"Transfer-Encoding: chunked")
        body_chunks = b"".join(b"%x\r\n%s\r\n" % (len(payload[i:i + 8192]), payload[i:i + 8192])
                               for i in range(0, len(payload), 8192)) + b"0\r\n\r\n"
        status, _, body, sock = raw(self.port, chunked + body_chunks)
        self.keep(sock)
        self.assertEqual(status, 413)
        self.assertEqual(refusals(self.cluster, "header_too_large"), 1)
        self.assertEqual(refusals(self.cluster, "body_too_large"), 2)
        self.assertEqual(self.cluster.redis("EXISTS", f"cm:contacts:number:{{{CALLER}}}"), "0")


class ReplicaCaps(ApiLimitsE2E):
    extra = "  api_connections_max: 6\n  api_streams_max: 2\n  api_streams_per_agent: 2\n"

    def test_replica_stream_cap_then_connection_cap_are_503_with_retry_after(self):
        for _ in range(2):
            status, sock, _ = open_stream(self.port, "alice")
            self.keep(sock)
            self.assertEqual(status, 200)
        # bob is under his own cap, but the replica holds its maximum.
        status, headers, body, bob = raw(self.port, open_stream_request("bob"))
        self.keep(bob)
        self.assertEqual((status, headers["retry-after"]), (503, "5"))
        self.assertIn(b'"error":"unavailable"', body)
        self.assertEqual(refusals(self.cluster, "streams_replica"), 1)
        # 2 streams + bob's kept-alive connection + 3 idle ones = the cap of 6.
        idle = [self.keep(socket.create_connection(("127.0.0.1", self.port))) for _ in range(3)]
        wait_until(lambda: metric(self.cluster, "callmesh_notification_api_connections") == 6, 5,
                   what="6 connections counted")
        # The 503 is written at accept, before any request is read (a client that already sent
        # one may see the close as a reset instead: its bytes were never read).
        sock = self.keep(socket.create_connection(("127.0.0.1", self.port)))
        status, headers, body = read_response(sock)
        self.assertEqual((status, headers["retry-after"]), (503, "5"))
        self.assertIn(b"too many open connections", body)
        self.assertTrue(closed_by_peer(sock, 5))
        self.assertEqual(refusals(self.cluster, "connections"), 1)
        idle[0].close()  # one goes: the next client is served
        wait_until(lambda: metric(self.cluster, "callmesh_notification_api_connections") == 5, 5,
                   what="the closed connection counted out")
        self.assertEqual(get(self.port, "/v1/me", "bob")[0], 200)


class ManyStreams(ApiLimitsE2E):
    # 25 agents x 8 tabs (the default cap): the bug was 40 streams stopping the API.
    agents = [f"agent{i:02d}" for i in range(25)]

    def test_with_200_streams_open_the_api_answers_at_once_and_every_stream_gets_the_event(self):
        streams = []
        for agent in self.agents:
            for _ in range(8):
                status, sock, _ = open_stream(self.port, agent)
                self.assertEqual(status, 200)
                streams.append(self.keep(sock))
        self.assertEqual(metric(self.cluster, "callmesh_notification_api_streams"), 200)
        started = time.monotonic()
        status, _, body = get(self.port, "/v1/me", "agent00", timeout=2)
        self.assertEqual((status, body["agent_id"]), (200, "agent00"))
        # The issue measured no answer in 8 s with 40 streams; a bound far below that.
        self.assertLess(time.monotonic() - started, 2.0)
        status, _, _, sock = raw(self.port, open_stream_request("agent00"))
        self.keep(sock)
        self.assertEqual(status, 429)  # the ninth tab
        pub = Publisher(self.cluster.ports["redis"])
        self.addCleanup(pub.close)
        pub.publish([missed_call_event("carol")])
        for s in streams:
            self.assertEqual(read_events(s, 1), ["notification.created"])


def until_refused(port, agent, test):
    """GET /v1/me as `agent` until the first non-200 (at most 8 requests); asserts 4..6 200s."""
    ok = 0
    for _ in range(8):
        status, headers, body = get(port, "/v1/me", agent)
        if status != 200:
            test.assertIn(ok, (4, 5, 6))
            return status, headers, body
        ok += 1
    test.fail(f"no refusal after {ok} requests")


def open_stream_request(agent):
    return (f"GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token(agent)}\r\n\r\n").encode()


def read_events(sock, count, timeout=10):
    """The next `count` event names on a stream socket (keep-alive comments skipped)."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while len(sse_events(data)) < count and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    # Keep whatever follows for the next call: events arrive whole, so cut at the last blank line.
    return sse_events(data)[:count]


if __name__ == "__main__":
    unittest.main(verbosity=2)
