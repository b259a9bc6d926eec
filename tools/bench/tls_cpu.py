#!/usr/bin/env python3
"""CPU per call of the ingress for SIP over TLS against UDP (a benchmark, not a test; issue 21).

Starts a private cluster on loopback with the ingress's sips: listener (certificates made with
openssl in the cluster's temporary folder) and a SIPp phone on UDP, then drives the same call
flow (INVITE / 100 / 180 / 200 / ACK / hold / BYE / 200) at a fixed rate three times: over UDP
to the SIP port, over one TCP connection to it, and over one TLS connection to the TLS port (a carrier's trunk: one long-lived
connection carrying every call). Over UDP the caller is SIPp (uac_call.xml); over TLS a small
asyncio caller doing the same flow (Debian's SIPp has no TLS). Only the ingress's CPU is counted,
so the callers' own costs do not enter the figure. For each run it reads the ingress's utime+stime from
/proc/<pid>/stat before and after and prints CPU-ms per completed call; the difference is what
TLS costs the ingress per call (record encryption and decryption; the one handshake is
amortised over the run). Rates and durations are bounded.

  tools/bench/tls_cpu.py                        # 200 calls/s, 20 s per transport
  tools/bench/tls_cpu.py --rate 200 --seconds 30 --rounds 2
"""

import argparse
import asyncio
import os
import ssl
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from cluster import Cluster, free_port, uac, uas  # noqa: E402
from proc_cpu import cpu_seconds  # noqa: E402
from sip_tls import SDP, Pki  # noqa: E402


def request(method, uri, transport, local, call_id, tag, cseq, to, route=(), body=""):
    lines = [f"{method} {uri} SIP/2.0",
             f"Via: SIP/2.0/{transport} {local[0]}:{local[1]};branch=z9hG4bK{uuid.uuid4().hex};rport",
             "Max-Forwards: 70", f"From: <sip:+15557770001@{local[0]}>;tag={tag}", f"To: {to}",
             f"Call-ID: {call_id}", f"CSeq: {cseq} {method}",
             f"Contact: <sip:+15557770001@{local[0]}:{local[1]};transport={transport.lower()}>"]
    lines += [f"Route: {r}" for r in route]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def parse(data):
    """(status, headers dict of lists, call-id, cseq method) of one response."""
    head = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    status = int(head[0].split()[1]) if head[0].startswith("SIP/2.0") else 0
    return status, headers


class Caller:
    """Calls over one transport; responses routed to each call by Call-ID and CSeq method."""

    def __init__(self, transport, port, hold_ms):
        self.transport = transport
        self.port = port
        self.hold_s = hold_ms / 1000
        self.waiters = {}
        self.ok = 0
        self.failed = 0
        self.reasons = {}  # why calls failed: a status, or "timeout"

    def fail(self, why):
        self.failed += 1
        self.reasons[why] = self.reasons.get(why, 0) + 1

    def deliver(self, data):
        status, headers = parse(data)
        if not status:
            return
        call_id = (headers.get("call-id") or headers.get("i") or [""])[0]
        method = (headers.get("cseq") or [" "])[0].split()[-1]
        fut = self.waiters.get((call_id, method))
        if fut and not fut.done() and status >= 180:
            if status >= 200 or method != "INVITE":
                fut.set_result((status, headers))

    async def start(self, ca_file):
        loop = asyncio.get_running_loop()
        if self.transport == "UDP":
            self.udp, _ = await loop.create_datagram_endpoint(
                lambda: Datagrams(self), remote_addr=("127.0.0.1", self.port))
            self.local = self.udp.get_extra_info("sockname")
            self.send = self.udp.sendto
        else:
            ctx = ssl.create_default_context(cafile=ca_file)
            reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, ssl=ctx,
                                                               server_hostname="localhost")
            self.local = self.writer.get_extra_info("sockname")
            self.send = self.writer.write
            self.reading = asyncio.ensure_future(self.read_stream(reader))

    async def read_stream(self, reader):
        buf = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            buf += chunk
            while b"\r\n\r\n" in buf:
                head, rest = buf.split(b"\r\n\r\n", 1)
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith((b"content-length:", b"l:")):
                        length = int(line.split(b":", 1)[1])
                if len(rest) < length:
                    break
                self.deliver(head + b"\r\n\r\n" + rest[:length])
                buf = rest[length:]

    async def wait(self, call_id, method, timeout=10):
        fut = asyncio.get_running_loop().create_future()
        self.waiters[(call_id, method)] = fut
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self.waiters.pop((call_id, method), None)

    async def call(self):
        call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
        t = self.transport
        uri = f"sip:+15550100@127.0.0.1:{self.port}" + (";transport=tls" if t == "TLS" else "")
        to = "<sip:+15550100@127.0.0.1>"
        try:
            answer = asyncio.ensure_future(self.wait(call_id, "INVITE"))
            await asyncio.sleep(0)
            self.send(request("INVITE", uri, t, self.local, call_id, tag, 1, to, body=SDP))
            status, headers = await answer
            if status != 200:
                self.fail(f"INVITE {status}")
                return
            to = headers.get("to", headers.get("t", [to]))[0]
            route = list(reversed([r.strip() for v in headers.get("record-route", []) for r in v.split(",")]))
            contact = headers.get("contact", headers.get("m", [""]))[0]
            target = contact[contact.index("<") + 1:contact.index(">")]
            self.send(request("ACK", target, t, self.local, call_id, tag, 1, to, route))
            await asyncio.sleep(self.hold_s)
            bye = asyncio.ensure_future(self.wait(call_id, "BYE"))
            await asyncio.sleep(0)
            self.send(request("BYE", target, t, self.local, call_id, tag, 2, to, route))
            status, _ = await bye
            if status == 200:
                self.ok += 1
            else:
                self.fail(f"BYE {status}")
        except asyncio.TimeoutError:
            self.fail("timeout")
        except ValueError:
            self.fail("no contact")


class Datagrams(asyncio.DatagramProtocol):
    def __init__(self, caller):
        self.caller = caller

    def datagram_received(self, data, addr):
        self.caller.deliver(data)


async def run(transport, port, ca_file, rate, seconds, hold_ms):
    caller = Caller(transport, port, hold_ms)
    await caller.start(ca_file)
    calls = []
    started = time.monotonic()
    for i in range(rate * seconds):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        calls.append(asyncio.ensure_future(caller.call()))
    await asyncio.gather(*calls)
    return caller.ok, caller.failed, caller.reasons


def sipp_run(cluster, rate, seconds, hold_ms, transport=None):
    """The UDP and TCP runs: SIPp's caller (uac_call.xml: the same flow, with UDP's
    retransmissions, which the asyncio caller does not do and a loaded machine's dropped datagrams
    then need). TCP: SIPp's `-t t1`, one connection for every call, like the TLS run."""
    calls = rate * seconds
    caller = uac(cluster, "+15550100", calls=calls, rate=rate, hold_ms=hold_ms,
                 name=f"sipp-{time.time()}", transport=transport)
    caller.wait(timeout=seconds + 60)
    ok = caller.count_when("answered", calls, timeout=2)
    return ok, calls - ok, ({"not answered": calls - ok} if ok < calls else {})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=int, default=200, help="calls per second (at most 500)")
    ap.add_argument("--seconds", type=int, default=20, help="seconds per run (at most 120)")
    ap.add_argument("--hold-ms", type=int, default=1000, help="answered call duration")
    ap.add_argument("--rounds", type=int, default=1, help="UDP, TCP then TLS, this many times (at most 5)")
    ap.add_argument("--no-notification", action="store_true",
                    help="leave the notification service out (its events then go unacknowledged)")
    args = ap.parse_args()
    rate, seconds = min(max(args.rate, 1), 500), min(max(args.seconds, 1), 120)

    phone_port, tls_port = free_port(), free_port()
    routing = ('tracking_numbers:\n  - number: "+15550100"\n    receiving_numbers:\n'
               f'      - {{number: "+15550199", uri: "sip:+15550199@127.0.0.1:{phone_port}"}}\n')
    import tempfile
    pki = Pki(tempfile.mkdtemp(prefix="callmesh-tls-bench-"))
    cert, key = pki.leaf("ingress", "localhost")
    # One caller is one source: the per-source new-call limit would refuse the rate with 503.
    ingress = ("  new_call_rps: 1000000\n  new_call_burst: 1000000\n"
               f"  tls_port: {tls_port}\n  tls_cert_file: {cert}\n  tls_key_file: {key}\n"
               f"  tls_ca_file: {pki.ca_cert}\n")
    cluster = Cluster(routing, cap=100000, ingress_extra=ingress)
    services = ["concurrency-limiter", "router", "agent-presence", "notification", "ingress"]
    cluster.start(services=[s for s in services if s != "notification" or not args.no_notification])
    phone = uas(cluster, "uas_answer.xml", phone_port, "phone")
    pid = cluster.procs["ingress"].pid
    results = {"UDP": [], "TCP": [], "TLS": []}
    try:
        time.sleep(0.5)
        for _ in range(min(max(args.rounds, 1), 5)):
            for transport, port in (("UDP", cluster.ports["sip"]), ("TCP", cluster.ports["sip"]),
                                    ("TLS", tls_port)):
                before = cpu_seconds(pid)
                if transport in ("UDP", "TCP"):
                    ok, failed, reasons = sipp_run(cluster, rate, seconds, args.hold_ms,
                                                   "t1" if transport == "TCP" else None)
                else:
                    ok, failed, reasons = asyncio.run(run(transport, port, pki.ca_cert, rate, seconds,
                                                          args.hold_ms))
                time.sleep(1)  # the last calls' BYE transactions end
                used = cpu_seconds(pid) - before
                per_call = used * 1000 / max(ok, 1)
                results[transport].append(per_call)
                print(f"{transport}: {rate} calls/s x {seconds} s: {ok} ok, {failed} failed, "
                      f"ingress {used:.2f} CPU-s, {per_call:.3f} CPU-ms/call"
                      + (f" (failures: {reasons})" if reasons else ""), flush=True)
        udp, tcp, tls = (sum(results[t]) / len(results[t]) for t in ("UDP", "TCP", "TLS"))
        print(f"mean: UDP {udp:.3f}, TCP {tcp:.3f}, TLS {tls:.3f} CPU-ms/call; TLS - UDP "
              f"{tls - udp:+.3f} ({(tls / udp - 1) * 100 if udp else 0:+.0f}%), TLS - TCP {tls - tcp:+.3f} "
              f"CPU-ms/call (the encryption itself)")
    finally:
        phone.stop()
        cluster.cleanup()


if __name__ == "__main__":
    main()
