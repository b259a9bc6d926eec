"""Gateway sets end to end (issue 21): the ingress probes each gateway of a set with OPTIONS,
leaves out the ones that are down, and moves a call to the next gateway on 503 or silence, with
the caller's transaction kept. The gateways are SIPp UASes (-aa answers their OPTIONS, -trace_msg
writes every message they got) and, for a gateway that answers nothing, a bare UDP socket that
records every datagram. Each test asserts the exact SIP each gateway received: which gateway got
which INVITE (by Call-ID)."""

import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster, Sipp, free_port, uac, wait_until  # noqa: E402

PROBE_MS = 500
ANSWER_TIMEOUT_MS = 2000


def routing():
    # The receiving number names the set "carriers" as its host: the ingress sends the call through
    # the set (services/ingress/README.md "Gateway sets").
    return ('tracking_numbers:\n  - number: "+15550100"\n    receiving_numbers:\n'
            '      - {number: "+15550190", uri: "sip:+15550190@carriers"}\n')


def gateway_sets(ports):
    gws = "".join(f'      - {{uri: "sip:127.0.0.1:{p}", name: gw{i}, priority: {i}}}\n'
                  for i, p in enumerate(ports))
    return (f"  gateway_probe_interval_ms: {PROBE_MS}\n  gateway_probe_timeout_ms: 300\n"
            f"  gateway_failures_before_down: 2\n  gateway_successes_before_up: 2\n"
            f"  gateway_answer_timeout_ms: {ANSWER_TIMEOUT_MS}\n  gateway_sets:\n    carriers:\n{gws}")


class SilentGateway:
    """A gateway that answers nothing: a UDP socket recording every request line and Call-ID."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.1)
        self.received = []  # (method, call_id)
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received.append(parse_request(data.decode(errors="replace")))

    def methods(self):
        return [m for m, _ in self.received]

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def parse_request(text):
    lines = text.replace("\r\n", "\n").split("\n")
    method = lines[0].split(" ", 1)[0]
    call_id = next((ln.split(":", 1)[1].strip() for ln in lines
                    if ln.lower().startswith("call-id:") or ln.lower().startswith("i:")), "")
    return method, call_id


def received_by(sipp):
    """(method, Call-ID) of every request a SIPp got, in order, from its -trace_msg file."""
    if not os.path.exists(sipp.msg_file):
        return []
    with open(sipp.msg_file, errors="replace") as f:
        blocks = f.read().split("----------------------------------------------- ")
    out = []
    for block in blocks:
        head, _, msg = block.partition("message received")
        if not msg:
            continue
        body = msg.split("\n\n", 1)[1] if "\n\n" in msg else msg
        first = body.lstrip().split("\n", 1)[0]
        if first.startswith("SIP/2.0"):
            continue  # a response
        out.append(parse_request(body.lstrip()))
    return out


def invites(received):
    """Call-IDs of the INVITEs received, in order; a retransmission counts once."""
    return list(dict.fromkeys(cid for m, cid in received if m == "INVITE"))


def invites_eventually(sipp, expected, timeout=5.0):
    """invites(received_by(sipp)) once it equals `expected`, or when `timeout` has passed (SIPp
    writes its message file through a stdio buffer)."""
    deadline = time.monotonic() + timeout
    while invites(received_by(sipp)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return invites(received_by(sipp))


class GatewaySets(unittest.TestCase):
    def setUp(self):
        self.ports = [free_port() for _ in range(3)]
        self.cluster = Cluster(routing(), ingress_extra=gateway_sets(self.ports))
        self.addCleanup(self.cluster.cleanup)

    def gateway(self, scenario, index, name):
        msg_file = os.path.join(self.cluster.dir, f"{name}.msg.log")
        g = Sipp(self.cluster.dir, scenario, ["-i", "127.0.0.1", "-p", str(self.ports[index]), "-aa",
                                             "-trace_msg", "-message_file", msg_file], name)
        g.msg_file = msg_file
        self.addCleanup(g.stop)
        return g

    def silent(self, index):
        g = SilentGateway(self.ports[index])
        self.addCleanup(g.stop)
        return g

    def up(self, gw):
        return self.cluster.metric("ingress", "callmesh_ingress_gateway_up", f'gateway="{gw}",set="carriers"')

    def failovers(self, gw, reason):
        return self.cluster.metric("ingress", "callmesh_ingress_gateway_failovers_total",
                                   f'gateway="{gw}",reason="{reason}",set="carriers"')

    def call(self, name, calls=1):
        caller = uac(self.cluster, "+15550100", calls=calls, rate=10, hold_ms=100, name=name,
                     extra=["-trace_msg", "-message_file", os.path.join(self.cluster.dir, f"{name}.msg.log")])
        self.assertEqual(caller.wait(timeout=30), 0, caller.out_file)
        self.assertEqual(caller.count("answered"), calls, caller.out_file)
        return caller.lines("answered")  # the callers' Call-IDs

    def test_first_gateway_silent_calls_go_to_the_second_once_it_is_down(self):
        # Gateways listen before the ingress starts probing them.
        first = self.silent(0)
        second = self.gateway("uas_answer.xml", 1, "gw1")
        third = self.gateway("uas_answer.xml", 2, "gw2")
        self.cluster.start()
        # Two probes of 300 ms without an answer, 500 ms apart: down within about 1.5 s.
        wait_until(lambda: self.up("gw0") == 0, 10, what="gw0 marked down")
        self.assertEqual(set(first.methods()), {"OPTIONS"})  # probed, never sent a call
        self.assertEqual(self.up("gw1"), 1)
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_gateway_set_up_gateways",
                                             'set="carriers"'), 2)
        started = time.monotonic()
        call_ids = self.call("caller", calls=3)
        elapsed = time.monotonic() - started
        # Exact traces: the three INVITEs at gw1, in call order; none at gw0 or gw2.
        self.assertEqual(invites_eventually(second, call_ids), call_ids)
        self.assertEqual(invites(received_by(third)), [])
        self.assertNotIn("INVITE", first.methods())
        # No call waited for the silent gateway: no answer deadline ran out.
        self.assertEqual(self.failovers("gw0", "no_answer"), 0)
        self.assertLess(elapsed, ANSWER_TIMEOUT_MS / 1000.0 * 3)

    def test_a_gateway_answering_503_mid_run_the_same_call_is_carried_by_the_next(self):
        first = self.gateway("uas_answer.xml", 0, "gw0-a")
        second = self.gateway("uas_answer.xml", 1, "gw1")
        self.gateway("uas_answer.xml", 2, "gw2")
        self.cluster.start()
        wait_until(lambda: self.cluster.metric("ingress", "callmesh_ingress_gateway_probes_total",
                                               'gateway="gw0",result="answered",set="carriers"') >= 1,
                   10, what="gw0 answered a probe")
        before = self.call("before")
        self.assertEqual(invites_eventually(first, before), before)  # priority 0 carries the calls
        # Mid-run gw0 starts answering every INVITE with 503 (its OPTIONS still get 200).
        first.stop()
        overloaded = self.gateway("uas_unavailable.xml", 0, "gw0-b")
        wait_until(lambda: ("OPTIONS" in [m for m, _ in received_by(overloaded)]), 5,
                   what="the overloaded gw0 probed")
        # While it restarted its probes may have failed: it is back up after two answered ones.
        wait_until(lambda: self.up("gw0") == 1, 10, what="gw0 up (answering OPTIONS)")
        during = self.call("during")
        # The same call (Call-ID) got 503 at gw0, then was carried by gw1 and answered.
        self.assertEqual(invites_eventually(overloaded, during), during)
        self.assertEqual(overloaded.lines("unavailable"), during)
        self.assertEqual(invites_eventually(second, during), during)
        self.assertEqual(self.failovers("gw0", "503"), 1)
        self.assertEqual(self.up("gw0"), 1)  # a 503 to a call does not mark it down

    def test_a_gateway_that_comes_back_is_used_again_after_the_configured_probes(self):
        silent = self.silent(0)
        second = self.gateway("uas_answer.xml", 1, "gw1")
        self.gateway("uas_answer.xml", 2, "gw2")
        self.cluster.start()
        wait_until(lambda: self.up("gw0") == 0, 10, what="gw0 marked down")
        while_down = self.call("while_down")
        self.assertEqual(invites_eventually(second, while_down), while_down)
        self.assertNotIn("INVITE", silent.methods())
        silent.stop()
        back = self.gateway("uas_answer.xml", 0, "gw0")
        answered = 'gateway="gw0",result="answered",set="carriers"'
        wait_until(lambda: self.up("gw0") == 1, 10, what="gw0 up again")
        # Up after exactly gateway_successes_before_up (2) answered probes.
        self.assertEqual(self.cluster.metric("ingress", "callmesh_ingress_gateway_probes_total", answered), 2)
        after = self.call("after")
        self.assertEqual(invites_eventually(back, after), after)
        self.assertEqual(invites(received_by(second)), while_down)  # nothing more at gw1


if __name__ == "__main__":
    unittest.main()
