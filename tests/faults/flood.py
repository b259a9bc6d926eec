"""A bounded SIP flood from one loopback source address, for fault tests only.

Sends a fixed mix of INVITE, OPTIONS and random bytes to one loopback target at a paced rate and
counts what comes back. Hard bounds: at most 60 s and 300,000 packets whatever the caller asks,
and only 127.0.0.0/8 targets. It records when the last response arrived, which tells how long the
target kept serving the flood before its per-source limiter cut it off."""

import ipaddress
import os
import random
import re
import socket
import threading
import time

MAX_SECONDS = 60
MAX_PACKETS = 300_000
_CALL_ID = re.compile(rb"Call-ID: *flood-(?:o-)?(\d+)-", re.I)


def _invite(target, src, sport, n, number):
    return (f"INVITE sip:{number}@{target[0]}:{target[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {src}:{sport};branch=z9hG4bK-fl{n}-{random.getrandbits(32):x}\r\n"
            f"From: <sip:+15556660000@{src}:{sport}>;tag=fl{n}\r\n"
            f"To: <sip:{number}@{target[0]}:{target[1]}>\r\n"
            f"Call-ID: flood-{n}-{random.getrandbits(48):x}@{src}\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:+15556660000@{src}:{sport}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


def _options(target, src, sport, n):
    return (f"OPTIONS sip:{target[0]}:{target[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {src}:{sport};branch=z9hG4bK-fo{n}-{random.getrandbits(32):x}\r\n"
            f"From: <sip:scanner@{src}:{sport}>;tag=fo{n}\r\nTo: <sip:{target[0]}:{target[1]}>\r\n"
            f"Call-ID: flood-o-{n}-{random.getrandbits(48):x}@{src}\r\nCSeq: 1 OPTIONS\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


class Flood:
    """Start with start(); join() returns the summary. Mix per 3 packets: INVITE, OPTIONS, junk."""

    def __init__(self, target_host, target_port, source="127.0.0.66", rate=5000, seconds=10.0,
                 number="+15550999"):
        if not ipaddress.ip_address(target_host) in ipaddress.ip_network("127.0.0.0/8"):
            raise ValueError("floods target loopback only")
        if not ipaddress.ip_address(source) in ipaddress.ip_network("127.0.0.0/8"):
            raise ValueError("floods come from loopback only")
        self.target = (target_host, target_port)
        self.source = source
        self.rate = max(1, min(rate, 20000))
        self.seconds = max(0.1, min(seconds, MAX_SECONDS))
        self.limit = min(int(self.rate * self.seconds), MAX_PACKETS)
        self.number = number
        self.sent = {"INVITE": 0, "OPTIONS": 0, "junk": 0}
        self.responses = 0
        self.started = None
        self.finished = None
        self.last_response = None
        self.answered = set()  # flood packet numbers that got any response
        self.statuses = {}  # status code -> responses (retransmissions included)
        self.served = set()  # flood packet numbers answered with something other than 500
        self._stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind((source, 0))
        self.sock.settimeout(0.2)
        self._threads = [threading.Thread(target=self._send, daemon=True),
                         threading.Thread(target=self._recv, daemon=True)]

    def start(self):
        self.started = time.monotonic()
        for t in self._threads:
            t.start()
        return self

    def _send(self):
        sport = self.sock.getsockname()[1]
        rng = random.Random(66)
        deadline = self.started + self.seconds
        n = 0
        while n < self.limit and not self._stop.is_set():
            now = time.monotonic()
            if now >= deadline:
                break
            due = self.started + n / self.rate  # pace: packet n is due at n/rate seconds
            if due > now:
                time.sleep(min(due - now, 0.01))
                continue
            kind = n % 3
            if kind == 0:
                pkt, key = _invite(self.target, self.source, sport, n, self.number), "INVITE"
            elif kind == 1:
                pkt, key = _options(self.target, self.source, sport, n), "OPTIONS"
            else:
                pkt, key = os.urandom(rng.randint(20, 1400)), "junk"
            try:
                self.sock.sendto(pkt, self.target)
                self.sent[key] += 1
            except OSError:
                pass
            n += 1
        self.finished = time.monotonic()

    def _recv(self):
        # Runs until the sender is done plus a grace second, to see responses to the last packets.
        while not self._stop.is_set():
            if self.finished and time.monotonic() > self.finished + 1.0:
                break
            try:
                data, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            self.responses += 1
            self.last_response = time.monotonic()
            # Responses to requests admitted early are retransmitted (an INVITE server transaction
            # repeats its final response until ACKed, which a flooder never does), so the time of
            # the last response says little; the newest request answered says when the target
            # stopped serving the flood.
            code = data[8:11].decode(errors="replace") if data.startswith(b"SIP/2.0 ") else "?"
            self.statuses[code] = self.statuses.get(code, 0) + 1
            m = _CALL_ID.search(data)
            if m:
                self.answered.add(int(m.group(1)))
                if code != "500":
                    self.served.add(int(m.group(1)))

    def join(self, timeout=MAX_SECONDS + 10):
        for t in self._threads:
            t.join(timeout)
        self._stop.set()
        self.sock.close()
        return self.summary()

    def summary(self):
        total = sum(self.sent.values())
        return {"sent": dict(self.sent), "total": total,
                "seconds": (self.finished or time.monotonic()) - self.started,
                "responses": self.responses, "requests_answered": len(self.answered),
                "statuses": dict(self.statuses),
                # when the newest request that got any answer / a served (non-500) answer was sent,
                # in seconds from the flood's start
                "answered_for_s": (max(self.answered) / self.rate) if self.answered else 0.0,
                "served_for_s": (max(self.served) / self.rate) if self.served else 0.0,
                "last_response_s": (self.last_response - self.started) if self.last_response else 0.0}
