"""RFC 4475 torture messages against a running ingress, over UDP and TCP (issue 3, item 8).

For every message in tests/data/rfc4475 (copied byte for byte, with its SHA256SUMS) (the MANIFEST's `strict` column says what a
conforming proxy answers) the test sends the exact bytes from 127.0.0.1, collects what comes
back to the sending socket (the ingress always answers symmetrically, to the packet's source,
never to a host named in the message), takes the decisive status (first final, else first
provisional), and checks it against `strict`: all 50, over both transports, with no exceptions
(services/ingress/sip_message_class.h says where sofia-sip alone would differ and how the
ingress closes the gap). After every message the ingress must still answer
an OPTIONS ping: no message may crash or wedge it."""

import os
import re
import socket
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from cluster import Cluster  # noqa: E402

TORTURE_DIR = os.environ.get("CALLMESH_RFC4475_DIR", os.path.join(HERE, "..", "data", "rfc4475"))
WINDOW_S = 1.0


def manifest():
    rows = []
    with open(os.path.join(TORTURE_DIR, "MANIFEST.tsv"), encoding="utf-8") as f:
        header = None
        for line in f:
            if line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if header is None:
                header = cols
                continue
            rows.append(dict(zip(header, cols)))
    return rows


CALL_ID = re.compile(rb"(?im)^(?:call-id|i)[ \t]*:[ \t]*(\S+)")


def call_id_of(message):
    m = CALL_ID.search(message)
    return m.group(1) if m else None


def statuses(data, call_id=None):
    """Status codes of the responses in `data`, only those for `call_id` when given (INVITE
    final responses are retransmitted until ACKed, so earlier messages' replies can arrive)."""
    out = []
    for chunk in data.split(b"SIP/2.0 ")[1:]:
        code = chunk[:3]
        if not code.isdigit():
            continue
        if call_id is not None and call_id_of(chunk) != call_id:
            continue
        out.append(int(code))
    return out


def decisive(codes):
    finals = [c for c in codes if c >= 200]
    if finals:
        return finals[0]
    return codes[0] if codes else None


def expectation(strict, transport):
    if ";" in strict and ":" in strict:
        parts = dict(p.split(":", 1) for p in strict.split(";"))
        strict = parts[transport]
    return strict.split("|")


def satisfied(alternatives, status):
    for alt in alternatives:
        if alt == "any":
            return True
        if alt == "none" and status is None:
            return True
        if status is None:
            continue
        if alt == "parsed" and status not in (400, 505):
            return True
        if alt.endswith("xx") and status // 100 == int(alt[0]):
            return True
        if alt.isdigit() and status == int(alt):
            return True
    return False


def via_port(payload):
    """The port of the top Via's sent-by (default 5060): where RFC 3261 18.2.2 sends the reply
    when there is no rport. The ingress puts received=<source address> in place of the host, so
    the reply comes to 127.0.0.1 at this port; the test sends from that port to catch it."""
    text = payload.decode("latin-1")
    lines = text.split("\r\n")
    for i, line in enumerate(lines):
        if re.match(r"(?i)^(via|v)\s*:", line):
            value = line.split(":", 1)[1]
            for cont in lines[i + 1:]:
                if not cont[:1].isspace():
                    break
                value += " " + cont
            m = re.search(r"(?i)SIP\s*/\s*2\.0\s*/\s*\w+\s+(\[[^\]]+\]|[^\s;,:]+)(?:\s*:\s*(\d+))?", value)
            if m and m.group(2):
                return int(m.group(2))
            return 5060
    return 5060


def send_udp(port, payload, from_port=0, call_id=None):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", from_port))
        s.sendto(payload, ("127.0.0.1", port))
        s.settimeout(0.1)
        data = b""
        deadline = time.monotonic() + WINDOW_S
        while time.monotonic() < deadline:
            try:
                data += s.recv(65535)
            except socket.timeout:
                if decisive(statuses(data, call_id)) and decisive(statuses(data, call_id)) >= 200:
                    break
        return data


def send_tcp(port, payload, call_id=None):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(payload)
        s.settimeout(0.1)
        data = b""
        deadline = time.monotonic() + WINDOW_S
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65535)
                if not chunk:
                    break  # the ingress closed the connection (framing error)
                data += chunk
            except socket.timeout:
                if decisive(statuses(data, call_id)) and decisive(statuses(data, call_id)) >= 200:
                    break
        return data


OPTIONS = ("OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-ping{n};rport\r\n"
           "From: <sip:probe@127.0.0.1>;tag=p{n}\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ping-{n}@test\r\n"
           "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")


class Rfc4475Torture(unittest.TestCase):
    # A fresh ingress per transport: the same bytes over UDP and then TCP carry the same branch,
    # and RFC 3261 17.2.3 matches transactions without regard to transport, so the second copy
    # would be (correctly) absorbed as a retransmission of the first one's transaction.
    def setUp(self):
        routing = """tracking_numbers:
  - number: "+15550100"
    receiving_numbers:
      - number: "+15550199"
        uri: "sip:+15550199@127.0.0.1:9"
"""
        # The messages are read before anything starts, and the cluster's cleanup is registered
        # before it starts, so a failed setUp leaves no process behind.
        self.rows = manifest()
        self.pings = 0
        self.cluster = Cluster(routing)
        self.addCleanup(self.cluster.cleanup)
        self.cluster.start()

    def still_alive(self):
        self.pings += 1
        reply = send_udp(self.cluster.ports["sip"], OPTIONS.format(n=self.pings).encode())
        self.assertEqual(decisive(statuses(reply)), 200, "ingress stopped answering OPTIONS")

    def run_transport(self, transport):
        self.assertEqual(len(self.rows), 50)
        failures = []
        for row in self.rows:
            with open(os.path.join(TORTURE_DIR, row["name"] + ".sip"), "rb") as f:
                payload = f.read()
            call_id = call_id_of(payload)
            if transport == "udp":
                data = send_udp(self.cluster.ports["sip"], payload, via_port(payload), call_id)
            else:
                data = send_tcp(self.cluster.ports["sip"], payload, call_id)
            mine = statuses(data, call_id)
            status = decisive(mine)
            alternatives = expectation(row["strict"], transport)
            if not satisfied(alternatives, status):
                failures.append(f"{row['name']} over {transport}: got {status}, strict wants {'|'.join(alternatives)}")
            checks = row.get("checks", "")
            if transport == "udp" and "udp:count=1" in checks and len(set(mine)) != 1:
                failures.append(f"{row['name']}: {len(set(mine))} distinct responses, want exactly 1")
            if transport == "udp" and "cseq_method=REGISTER" in checks and b"REGISTER" not in data:
                failures.append(f"{row['name']}: the response is not to the REGISTER")
            self.still_alive()
        self.assertEqual(failures, [], "\n" + "\n".join(failures))
        self.assertEqual(self.cluster.procs["ingress"].poll(), None, "ingress exited")

    def test_every_message_over_udp(self):
        self.run_transport("udp")

    def test_every_message_over_tcp(self):
        self.run_transport("tcp")


if __name__ == "__main__":
    unittest.main(verbosity=2)
