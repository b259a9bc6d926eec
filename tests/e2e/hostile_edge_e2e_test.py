"""A hardened edge (issue 16, items 1, 2 and 8): what a gateway, or an attacker behind one, sends
cannot stretch the caps, the frames or the state of the cluster, and an ingress going away still
answers its callers. Each test asserts the exact outcome: codes, what the phone got, leases in
Redis, counters."""

import os
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, free_port, sum_samples, uac, uas, wait_until  # noqa: E402

NUMBER = "+18889990000"
SLOTS_KEY = "cm:{+18889990000}:slots"


def routing(phone_port, ring_timeout_s=None):
    timeout = f"    ring_timeout_s: {ring_timeout_s}\n" if ring_timeout_s else ""
    return f"""tracking_numbers:
  - number: "{NUMBER}"
{timeout}    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:{phone_port}"
"""


def invite(sip, call_id, user=NUMBER, transport="UDP", local_port=5999):
    body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
    return (f"INVITE sip:{user}@{sip} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport} 127.0.0.1:{local_port};branch=z9hG4bK-edge-{time.monotonic_ns()}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:+15557770000@127.0.0.1>;tag=edge\r\n"
            f"To: <sip:{user}@{sip}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:+15557770000@127.0.0.1:{local_port}>\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}").encode()


def udp_port_taken(port):
    """True once something (a SIPp phone started by the test) listens on UDP `port`: a raw caller
    does not wait for its phone the way a SIPp caller's own start-up happens to."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


def status_of(response):
    first = response.split(b"\r\n", 1)[0].decode(errors="replace")
    return int(first.split(" ")[1]) if first.startswith("SIP/2.0 ") else 0


class HostileEdge(unittest.TestCase):
    def start(self, routing_yaml, **kwargs):
        self.cluster = Cluster(routing_yaml, **kwargs).start()
        self.addCleanup(self.cluster.cleanup)
        return self.cluster

    def phone(self, scenario, port, name, extra=None):
        p = uas(self.cluster, scenario, port, name, extra)
        self.addCleanup(p.stop)
        return p

    def test_one_number_written_three_ways_is_one_cap(self):
        # Item 1: 60 calls held to one number in three written forms, cap 50: exactly 50 connect
        # and 10 get 486, and Redis holds one slot set of 50 (it held two sets of 30 before).
        phone_port = free_port()
        cluster = self.start(routing(phone_port))
        phone = self.phone("uas_answer.xml", phone_port, "phone")
        callers = [uac(cluster, form, calls=20, rate=200, hold_ms=6000, name=f"caller{i}",
                       scenario="uac_call_any.xml")
                   for i, form in enumerate([NUMBER, "18889990000", "1-888-999-0000"])]
        for c in callers:
            self.addCleanup(c.stop)
        outcomes = lambda: sum(c.count("answered") + c.count("final") for c in callers)  # noqa: E731
        wait_until(lambda: outcomes() == 60, 20, what="60 outcomes")
        self.assertEqual(cluster.redis("ZCARD", SLOTS_KEY), "50")
        self.assertEqual(cluster.redis("EXISTS", "cm:{18889990000}:slots"), "0")
        for c in callers:
            self.assertEqual(c.wait(timeout=30), 0, c.out_file)
        self.assertEqual(sum(c.count("answered") for c in callers), 50)
        self.assertEqual(sum(c.lines("final").count("486") for c in callers), 10)
        self.assertEqual(phone.count("answered"), 50)
        # Once 7 of the 10 486s were counted as cap rejections (a flake on a loaded machine, not
        # reproduced): say what the others were.
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_cap_rejections_total"), 10,
                         f"{cluster.metric_lines('ingress', 'callmesh_ingress_calls_')}; "
                         f"{cluster.metric_lines('concurrency-limiter', 'callmesh_concurrency_limiter_')}")
        wait_until(lambda: cluster.redis("ZCARD", SLOTS_KEY) == "0", 5, what="slots released")

    def test_two_kilobyte_call_id_is_400_over_udp_and_tcp_and_nothing_is_offered(self):
        # Item 2: the Call-ID rides in every frame about the call; past ingress.max_call_id_bytes
        # (256) the request is answered 400 at the edge, routed nowhere, counted.
        phone_port = free_port()
        cluster = self.start(routing(phone_port))
        phone = self.phone("uas_answer.xml", phone_port, "phone")
        host, port = "127.0.0.1", cluster.ports["sip"]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            u.settimeout(3)
            u.sendto(invite(cluster.sip, "u" * 2048, local_port=u.getsockname()[1]), (host, port))
            udp_status = status_of(u.recvfrom(65535)[0])
        with socket.create_connection((host, port), timeout=3) as t:
            t.sendall(invite(cluster.sip, "t" * 2048, transport="TCP", local_port=t.getsockname()[1]))
            tcp_status = status_of(t.recv(65535))
        # A 2 KB Request-URI gets 414 (RFC 3261 21.4.12); a 5 KB header 400.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            u.settimeout(3)
            u.sendto(invite(cluster.sip, "c-uri", user="1" * 2048, local_port=u.getsockname()[1]), (host, port))
            uri_status = status_of(u.recvfrom(65535)[0])
        self.assertEqual((udp_status, tcp_status, uri_status), (400, 400, 414))
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_blocked_requests_total",
                                        'reason="oversized"'), 3)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_calls_offered_total"), 0)
        self.assertEqual(sum_samples(cluster.http("router", "/metrics")[1], "callmesh_router_decisions_total"), 0)
        self.assertEqual(phone.count("answered"), 0)
        # An ordinary call right after is served.
        caller = uac(cluster, NUMBER, calls=1, rate=1, hold_ms=100, name="caller")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.count("answered"), 1)

    def test_sigterm_while_ringing_the_caller_gets_480_and_the_phone_a_cancel(self):
        # Item 8: a phone that never answers, the ingress told to stop: after drain_timeout_s the
        # caller gets a final response (480, not silence) and the phone a CANCEL; the ingress
        # exits cleanly and gives the slot back.
        phone_port = free_port()
        cluster = self.start(routing(phone_port, ring_timeout_s=60),
                             ingress_extra="  drain_timeout_s: 1\n")
        phone = self.phone("uas_ring_forever.xml", phone_port, "phone")
        caller = uac(cluster, NUMBER, calls=1, rate=1, hold_ms=100, name="caller",
                     scenario="uac_call_any.xml")
        self.addCleanup(caller.stop)
        wait_until(lambda: cluster.redis("ZCARD", SLOTS_KEY) == "1", 10, what="the call ringing")
        time.sleep(0.3)
        started = time.monotonic()
        self.assertEqual(cluster.stop_service("ingress", signal.SIGTERM, timeout=15), 0)
        wait_until(lambda: caller.lines("final") == ["480"], 5, what="the caller's 480")
        self.assertLess(time.monotonic() - started, 6)
        wait_until(lambda: phone.count("cancelled") == 1, 5, what="the phone CANCELled")
        self.assertEqual(caller.count("answered"), 0)
        self.assertEqual(cluster.redis("ZCARD", SLOTS_KEY), "0")

    def test_header_section_over_its_bound_is_513_over_tcp_dropped_over_udp_never_routed(self):
        # Item 6: 40 header lines of 450 bytes, each under ingress.max_header_bytes (4096), make an
        # 18 KB header section, over ingress.max_header_section_bytes (16384 by default): 513
        # Message Too Large over TCP; over UDP no answer at all (a reflection would go to a source
        # that may be spoofed). Routed nowhere, the phone gets nothing, counted as header_section.
        phone_port = free_port()
        cluster = self.start(routing(phone_port))
        phone = self.phone("uas_answer.xml", phone_port, "phone")
        host, port = "127.0.0.1", cluster.ports["sip"]
        notes = "".join(f"X-Note-{i:02d}: {'n' * 438}\r\n" for i in range(40))

        def big_invite(call_id, transport, local_port):
            request = invite(cluster.sip, call_id, transport=transport, local_port=local_port)
            head, rest = request.split(b"Content-Type:", 1)
            return head + notes.encode() + b"Content-Type:" + rest

        with socket.create_connection((host, port), timeout=5) as t:
            request = big_invite("section-tcp", "TCP", t.getsockname()[1])
            self.assertGreater(request.index(b"\r\n\r\n") - request.index(b"\r\n"), 16384)
            t.sendall(request)
            tcp_response = t.recv(65535)
        self.assertEqual(status_of(tcp_response), 513, tcp_response[:200])
        self.assertIn(b"Call-ID: section-tcp", tcp_response)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            u.settimeout(2)
            u.sendto(big_invite("section-udp", "UDP", u.getsockname()[1]), (host, port))
            wait_until(lambda: cluster.metric("ingress", "callmesh_ingress_blocked_requests_total",
                                              'reason="header_section"') == 2, 5, what="the UDP request counted")
            with self.assertRaises(socket.timeout):
                u.recvfrom(65535)  # nothing comes back over UDP
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_blocked_requests_total",
                                        'reason="oversized"'), 0)
        self.assertEqual(cluster.metric("ingress", "callmesh_ingress_calls_offered_total"), 0)
        self.assertEqual(sum_samples(cluster.http("router", "/metrics")[1], "callmesh_router_decisions_total"), 0)
        self.assertEqual(cluster.redis("EXISTS", SLOTS_KEY), "0")
        self.assertFalse(os.path.exists(phone.log_file) and os.path.getsize(phone.log_file) > 0)
        # An ordinary call right after is served.
        caller = uac(cluster, NUMBER, calls=1, rate=1, hold_ms=100, name="caller")
        self.assertEqual(caller.wait(timeout=20), 0, caller.out_file)
        self.assertEqual(caller.count("answered"), 1)
        self.assertEqual(phone.count_when("answered", 1), 1)

    def test_sigterm_while_admitting_the_caller_gets_503_with_retry_after(self):
        # Item 8: the router stopped (SIGSTOP), so the call waits in admission (one 5 s attempt);
        # the ingress told to stop: once drain_timeout_s has passed the caller gets 503 with
        # Retry-After (RFC 3261 21.5.4: try another ingress), not silence; the ingress exits 0
        # and gives the slot back.
        phone_port = free_port()
        cluster = self.start(routing(phone_port), ingress_extra=(
            "  drain_timeout_s: 1\n  request_timeout_ms: 5000\n  request_attempts: 1\n"))
        phone = self.phone("uas_answer.xml", phone_port, "phone")
        self.pause(cluster, "router")
        with RawCaller(cluster) as caller:
            caller.send_invite("admitting-1")
            # 100 Trying goes out as the router and limiter are asked: the decision never comes.
            wait_until(lambda: caller.status() == 100, 5, interval=0, what="100 Trying")
            started = time.monotonic()
            cluster.procs["ingress"].send_signal(signal.SIGTERM)
            final = caller.response(timeout=5)
            self.assertEqual(status_of(final), 503, final)
            self.assertRegex(final.decode(errors="replace"), r"(?im)^Retry-After: *\d+")
            self.assertLess(time.monotonic() - started, 4)
            caller.ack(final)
        self.assertEqual(cluster.procs["ingress"].wait(timeout=15), 0, cluster.log("ingress")[-2000:])
        self.assertEqual(cluster.redis("ZCARD", SLOTS_KEY), "0")
        self.assertEqual(phone.count("answered"), 0)

    def test_cancel_during_the_drains_final_flush_reaches_no_freed_call(self):
        # Item 8: a ringing call, the limiter stopped (SIGSTOP) so the slot's release stays
        # unacknowledged and the drain's final flush lasts its whole 1.5 s; the ingress told to
        # stop. The caller gets 480, the phone a CANCEL, and the caller's CANCEL (and ACK) sent
        # after the 480, during the flush, find the call gone: the ingress exits cleanly (0). Run
        # it against the ASan build (CALLMESH_BUILD_DIR=build-asan) to see a use after free.
        phone_port = free_port()
        cluster = self.start(routing(phone_port, ring_timeout_s=60), ingress_extra="  drain_timeout_s: 1\n")
        phone = self.phone("uas_ring_forever.xml", phone_port, "phone")
        wait_until(lambda: udp_port_taken(phone_port), 10, what="the phone listening")
        with RawCaller(cluster) as caller:
            caller.send_invite("flush-cancel-1")
            wait_until(lambda: caller.status() == 180, 10, interval=0, what="the phone ringing")
            self.pause(cluster, "concurrency-limiter")
            cluster.procs["ingress"].send_signal(signal.SIGTERM)
            final = caller.response(timeout=5, at_least=200)
            self.assertEqual(status_of(final), 480, final)
            caller.cancel()
            caller.ack(final)
            # Sent while the ingress was still in its final flush (it logs "drained" at its end).
            self.assertNotIn('"drained"', cluster.log("ingress"))
            cancel_answer = caller.response(timeout=1.0, optional=True)
            print(f"\nresponses to the caller: {[status_of(r) for r in caller.seen]}", file=sys.stderr)
            # Whatever NTA answers to a CANCEL for a completed transaction (200, or 481), never
            # more than that: the CANCEL reached no call.
            if cancel_answer:
                self.assertIn(status_of(cancel_answer), (200, 481), cancel_answer)
        self.assertEqual(cluster.procs["ingress"].wait(timeout=15), 0, cluster.log("ingress")[-3000:])
        self.assertNotIn("AddressSanitizer", cluster.log("ingress"))
        self.assertEqual(phone.count_when("cancelled", 1), 1)

    def pause(self, cluster, service):
        """SIGSTOP one of this cluster's services (by its pid); SIGCONT in cleanup, before the
        cluster's own cleanup stops it."""
        proc = cluster.procs[service]
        proc.send_signal(signal.SIGSTOP)
        self.addCleanup(lambda: proc.poll() is None and proc.send_signal(signal.SIGCONT))


class RawCaller:
    """One INVITE client transaction over UDP, by hand: to see every response whole (headers
    such as Retry-After) and send a CANCEL or ACK at a chosen moment."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.seen = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def send_invite(self, call_id):
        self.call_id = call_id
        self.request = invite(self.cluster.sip, call_id, local_port=self.port)
        self.sock.sendto(self.request, ("127.0.0.1", self.cluster.ports["sip"]))

    def response(self, timeout, at_least=0, optional=False):
        """The next response with a status of at least `at_least` (None if optional and none)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recvfrom(65535)[0]
            except socket.timeout:
                break
            self.seen.append(data)
            if status_of(data) >= at_least:
                return data
        if optional:
            return None
        raise AssertionError(f"no response >= {at_least} within {timeout}s; saw {[status_of(d) for d in self.seen]}")

    def status(self):
        """The newest status seen so far, reading what has arrived."""
        self.response(timeout=0.2, optional=True)
        return status_of(self.seen[-1]) if self.seen else 0

    def _line(self, name):
        for line in self.request.decode().split("\r\n"):
            if line.lower().startswith(name.lower() + ":"):
                return line
        raise KeyError(name)

    def cancel(self):
        # RFC 3261 9.1: the INVITE's Request-URI, top Via (same branch), From, To, Call-ID.
        first = self.request.decode().split("\r\n", 1)[0].replace("INVITE", "CANCEL", 1)
        lines = [first, self._line("Via"), "Max-Forwards: 70", self._line("From"), self._line("To"),
                 self._line("Call-ID"), "CSeq: 1 CANCEL", "Content-Length: 0", "", ""]
        self.sock.sendto("\r\n".join(lines).encode(), ("127.0.0.1", self.cluster.ports["sip"]))

    def ack(self, final):
        # RFC 3261 17.1.1.3: the ACK for a non-2xx final response: same branch, the response's To.
        to = next(line for line in final.decode(errors="replace").split("\r\n") if line.lower().startswith("to:"))
        first = self.request.decode().split("\r\n", 1)[0].replace("INVITE", "ACK", 1)
        lines = [first, self._line("Via"), "Max-Forwards: 70", self._line("From"), to,
                 self._line("Call-ID"), "CSeq: 1 ACK", "Content-Length: 0", "", ""]
        self.sock.sendto("\r\n".join(lines).encode(), ("127.0.0.1", self.cluster.ports["sip"]))


if __name__ == "__main__":
    unittest.main()
