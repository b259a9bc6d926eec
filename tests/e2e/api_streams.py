"""The notification HTTP API on its own (redis-server + callmesh-notification, real processes on
loopback, free ports) and raw-socket clients for its limits: whole requests written by hand (so a
test can send half a header, or an oversized one), SSE streams as plain sockets (so one process
holds thousands, and a test can stop reading one), and PUBLISH to cm:events over RESP. Used by
api_limits_e2e_test.py and tools/bench/stream_fanout.py."""

import json
import socket
import time
import urllib.error
import urllib.request

from cluster import Cluster, token_hash, wait_until

ROUTING = """locations:
  - {id: hq, time_zone: UTC}
agents: []
company_numbers: []
"""


def token(agent):
    return f"{agent}-token-limits"


def start_api(agents, extra="", admin="root"):
    """A Cluster running only redis-server and the notification service, with a token per agent
    (and one admin), `extra` lines appended to the notification section. Returns (cluster, port)."""
    cluster = Cluster(ROUTING)
    lines = ["  tokens:"]
    # notification.tokens keeps SHA-256 hashes of the tokens, never the tokens themselves.
    lines += [f'    "{token_hash(token(a))}": {{agent_id: {a}}}' for a in agents]
    lines.append(f'    "{token_hash(token(admin))}": {{agent_id: {admin}, role: admin}}')
    with open(cluster.config, "a") as f:
        f.write("\n".join(lines) + "\n" + extra)
    cluster.start(["notification"])
    port = cluster.ports["api"]
    wait_until(lambda: get(port, "/v1/me", agents[0])[0] == 200, 10, what="notification API")
    return cluster, port


def get(port, path, agent, method="GET", body=None, timeout=10):
    """(status, headers, parsed JSON or None) of one request through urllib."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if agent:
        req.add_header("Authorization", "Bearer " + token(agent))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode()
            return r.status, dict(r.headers), (json.loads(text) if text.strip() else None)
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, dict(e.headers), (json.loads(text) if text.strip() else None)


def read_response(sock, timeout=10):
    """(status, {lower-case header: value}, body bytes) of one Content-Length response."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a whole response head: {data!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    if "content-length" in headers:
        while len(rest) < int(headers["content-length"]):
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    return status, headers, rest


def raw(port, payload, timeout=10):
    """Sends `payload` bytes on a new connection and reads one response; returns (status,
    headers, body, socket) with the socket still open."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(payload)
    status, headers, body = read_response(sock, timeout)
    return status, headers, body, sock


def closed_by_peer(sock, timeout):
    """True when the server closes `sock` (EOF or reset) within `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def stream_request(agent):
    return (f"GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token(agent)}\r\n"
            "Accept: text/event-stream\r\n\r\n").encode()


def open_stream(port, agent, rcvbuf=None, timeout=10):
    """A raw GET /v1/stream: (status, socket, bytes read after the head). A small `rcvbuf` makes
    a client whose kernel buffer fills quickly (a reader that stopped reading)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.connect(("127.0.0.1", port))
    sock.sendall(stream_request(agent))
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"stream closed before its head: {data!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    return int(head.split(b" ")[1]), sock, rest


def sse_events(data):
    """Event names in raw stream bytes (chunk framing ignored: names are on their own lines)."""
    return [line[7:] for line in data.decode(errors="replace").split("\n") if line.startswith("event: ")]


class Publisher:
    """PUBLISH to cm:events over one RESP connection (redis-cli per message is too slow for
    bursts of hundreds)."""

    def __init__(self, redis_port):
        self.sock = socket.create_connection(("127.0.0.1", redis_port), timeout=10)

    def publish(self, messages, channel="cm:events"):
        out = b""
        for m in messages:
            parts = [b"PUBLISH", channel.encode(), m.encode()]
            out += b"*3\r\n" + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        self.sock.sendall(out)
        replies, data = 0, b""
        while replies < len(messages):
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed")
            data += chunk
            replies = data.count(b"\r\n")

    def close(self):
        self.sock.close()


def missed_call_event(call_id, pad=0):
    """An unclaimed missed call's notification.created bus message: it goes to every stream (seed
    004: all users see the unclaimed missed call; stream_visibility.h), padded to make large
    events. (presence.changed goes only to the agent concerned and admins.)"""
    return json.dumps({"event": "notification.created",
                       "notification": {"id": call_id, "kind": "missed_call", "pad": "x" * pad}})


def metric(cluster, name, labels=""):
    return cluster.metric("notification", name, labels)


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return out, time.monotonic() - t0
