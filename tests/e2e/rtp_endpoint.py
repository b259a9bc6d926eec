"""A phone's media side for the media-plane e2e tests: one UDP socket on 127.0.0.1 that sends RTP
(G.711 A-law frames read from a pcap SIPp's Debian package ships, copied into tests/data/rtp) and
records every packet it receives with its arrival time. Sending and receiving on the same socket
keeps RTP symmetric, as rtpengine expects of a phone (it learns the source it sends back to).
"""

import os
import socket
import struct
import threading
import time

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "rtp")


def pcap_rtp_payloads(path):
    """The RTP payloads (header stripped) of every UDP packet in a classic pcap (Ethernet/IPv4)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic == 0xA1B2C3D4 else ">"
    link = struct.unpack(endian + "I", data[20:24])[0]
    if link != 1:
        raise ValueError(f"{path}: link type {link}, expected Ethernet")
    out = []
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
            continue
        ihl = (frame[14] & 0x0F) * 4
        rtp = frame[14 + ihl + 8:]
        if len(rtp) < 12 or rtp[0] >> 6 != 2:
            continue
        cc = rtp[0] & 0x0F
        out.append((rtp[1] & 0x7F, rtp[12 + 4 * cc:]))
    return out


class RtpPacket:
    __slots__ = ("at", "pt", "marker", "seq", "ts", "ssrc", "payload", "source")

    def __init__(self, at, data, source):
        self.at = at
        self.marker = bool(data[1] & 0x80)
        self.pt = data[1] & 0x7F
        self.seq, self.ts, self.ssrc = struct.unpack("!HII", data[2:12])
        self.payload = data[12 + 4 * (data[0] & 0x0F):]
        self.source = source


class RtpEndpoint:
    def __init__(self, port):
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.received = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sender = None
        self.ssrc = None  # of what this endpoint sends
        self._receiver = threading.Thread(target=self._receive, daemon=True)
        self._receiver.start()

    def _receive(self):
        while not self._stop.is_set():
            try:
                data, source = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) >= 12 and data[0] >> 6 == 2:
                with self._lock:
                    self.received.append(RtpPacket(time.monotonic(), data, source))

    def packets(self, pt=None):
        with self._lock:
            return [p for p in self.received if pt is None or p.pt == pt]

    def start_sending(self, dest_port, payloads, pt=8, ptime_ms=20, loop=True, marker=None):
        """Sends `payloads` to 127.0.0.1:dest_port every ptime_ms from this socket until stop()
        (loop=True repeats the pcap); each payload carries `marker` (a bytes prefix to find a
        packet again at the far side) when given."""
        ssrc = int.from_bytes(os.urandom(4), "big")
        self.ssrc = ssrc

        def run():
            seq, ts, i = int.from_bytes(os.urandom(2), "big"), 0, 0
            next_at = time.monotonic()
            while not self._stop.is_set() and (loop or i < len(payloads)):
                body = payloads[i % len(payloads)]
                if marker:
                    body = marker + body[len(marker):]
                header = struct.pack("!BBHII", 0x80, pt | (0x80 if i == 0 else 0), seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
                try:
                    self.sock.sendto(header + body, ("127.0.0.1", dest_port))
                except OSError:
                    return
                seq, ts, i = seq + 1, ts + 8 * ptime_ms, i + 1
                next_at += ptime_ms / 1000.0
                delay = next_at - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
        self._sender = threading.Thread(target=run, daemon=True)
        self._sender.start()

    def close(self):
        self._stop.set()
        for t in (self._sender, self._receiver):
            if t:
                t.join(2)
        self.sock.close()


def telephone_events(packets):
    """RFC 4733 events in arrival order: [(digit, first_arrival, duration_ms, rtp_ts)] from the
    packets of a telephone-event payload type (several packets per event, same RTP timestamp)."""
    names = "0123456789*#ABCD"
    events = {}
    order = []
    for p in packets:
        if len(p.payload) < 4:
            continue
        code, flags, duration = p.payload[0], p.payload[1], struct.unpack("!H", p.payload[2:4])[0]
        key = (p.ssrc, p.ts)
        if key not in events:
            events[key] = [names[code] if code < 16 else "?", p.at, 0]
            order.append(key)
        events[key][2] = max(events[key][2], duration // 8)
    return [(events[k][0], events[k][1], events[k][2], k[1]) for k in order]
