"""SIP over TLS for the end-to-end tests (issue 21): Debian's SIPp is built without TLS, so a
small caller and phone written on Python's `ssl` stand in for a carrier's SBC and a TLS phone.
Certificates are made at test time with the openssl command into the test's temporary folder
(never committed). Every socket has a timeout; nothing waits unbounded."""

import os
import re
import socket
import ssl
import subprocess
import threading
import time
import uuid

SDP = ("v=0\r\no=tls 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=30)


class Pki:
    """A CA in `folder` and leaf certificates it signs (or a second, untrusted CA signs)."""

    def __init__(self, folder, name="ca"):
        self.dir = folder
        os.makedirs(folder, exist_ok=True)
        self.name = name
        self.ca_cert = os.path.join(folder, f"{name}.crt")
        self.ca_key = os.path.join(folder, f"{name}.key")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", self.ca_key, "-out", self.ca_cert, "-days", "2", "-subj",
                 f"/CN=callmesh test {name}", cwd=folder)

    def leaf(self, file_stem, dns_name):
        """(cert, key) for `dns_name` (SAN DNS and CN), signed by this CA."""
        key = os.path.join(self.dir, f"{file_stem}.key")
        csr = os.path.join(self.dir, f"{file_stem}.csr")
        cert = os.path.join(self.dir, f"{file_stem}.crt")
        ext = os.path.join(self.dir, f"{file_stem}.ext")
        with open(ext, "w") as f:
            f.write(f"subjectAltName=DNS:{dns_name}\n")
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                 key, "-out", csr, "-subj", f"/CN={dns_name}", cwd=self.dir)
        _openssl("x509", "-req", "-in", csr, "-CA", self.ca_cert, "-CAkey", self.ca_key,
                 "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext, cwd=self.dir)
        return cert, key


def read_message(conn, buf):
    """One SIP message from a stream: (start line, headers as [(name, value)], body, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    while lines and not lines[0]:  # keep-alive CRLFs
        lines.pop(0)
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    length = int(next((v for n, v in headers if n.lower() in ("content-length", "l")), "0"))
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        rest += chunk
    return lines[0], headers, rest[:length].decode(), rest[length:]


def header(headers, name):
    return next((v for n, v in headers if n.lower() == name.lower()), None)


def all_headers(headers, name):
    values = []
    for n, v in headers:
        if n.lower() == name.lower():
            values += [x.strip() for x in re.split(r",(?=\s*<)", v)]
    return values


class TlsCaller:
    """A caller (UAC) over TLS to the ingress's sips: listener. `cert`: a client certificate."""

    def __init__(self, port, ca_file, cert=None, server_name="localhost", timeout=10, source=None):
        """`source`: a loopback address to connect from (127.0.0.2, ...): a trunk's address."""
        ctx = ssl.create_default_context(cafile=ca_file)
        if cert:
            ctx.load_cert_chain(*cert)
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                       source_address=(source, 0) if source else None)
        try:
            self.conn = ctx.wrap_socket(raw, server_hostname=server_name)
        except Exception:
            raw.close()
            raise
        self.local = self.conn.getsockname()
        self.port = port
        self.buf = b""
        self.call_id = uuid.uuid4().hex
        self.tag = uuid.uuid4().hex[:8]
        self.cseq = 1
        self.route = []
        self.remote_target = None
        self.to = None
        self.responses = []  # status codes in arrival order, for the test's exact assertions
        self.final_headers = []  # the INVITE's final response's headers, as [(name, value)]

    def close(self):
        self.conn.close()

    def _send(self, text):
        self.conn.sendall(text.encode())

    def _request(self, method, uri, to, extra="", body="", cseq=None, branch=None):
        via = (f"SIP/2.0/TLS {self.local[0]}:{self.local[1]};branch=z9hG4bK{branch or uuid.uuid4().hex};"
               "rport")
        lines = [f"{method} {uri} SIP/2.0", f"Via: {via}", "Max-Forwards: 70",
                 f"From: <sip:+15557770001@{self.local[0]}>;tag={self.tag}", f"To: {to}",
                 f"Call-ID: {self.call_id}", f"CSeq: {cseq or self.cseq} {method}",
                 f"Contact: <sip:+15557770001@{self.local[0]}:{self.local[1]};transport=tls>"]
        lines += [f"Route: {r}" for r in self.route]
        if extra:
            lines.append(extra)
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        self._send("\r\n".join(lines) + "\r\n\r\n" + body)

    def next_response(self):
        start, headers, body, self.buf = read_message(self.conn, self.buf)
        if not start.startswith("SIP/2.0 "):
            raise AssertionError(f"expected a response, got {start}")
        code = int(start.split()[1])
        self.responses.append(code)
        return code, headers, body

    def invite(self, number, extra=""):
        """INVITE to `number`; returns the final status (ACKs a 2xx through the route set)."""
        self.send_invite(number, extra)
        return self.final_response()

    def send_invite(self, number, extra=""):
        """The INVITE alone, so a test can send several callers' INVITEs back to back."""
        uri = f"sip:{number}@127.0.0.1:{self.port};transport=tls"
        self._request("INVITE", uri, f"<sip:{number}@127.0.0.1>", extra=extra, body=SDP)

    def final_response(self):
        """Reads the INVITE's responses up to its final one; returns its status (a 2xx ACKed)."""
        while True:
            code, headers, _ = self.next_response()
            if code < 200:
                continue
            self.to = header(headers, "To")
            self.final_headers = headers
            if code < 300:
                # The route set is the Record-Route list reversed (RFC 3261 12.1.2).
                self.route = list(reversed(all_headers(headers, "Record-Route")))
                contact = header(headers, "Contact")
                self.remote_target = contact[contact.index("<") + 1:contact.index(">")]
                self._request("ACK", self.remote_target, self.to, cseq=self.cseq)
            return code

    def bye(self):
        self.cseq += 1
        self._request("BYE", self.remote_target, self.to)
        code, _, _ = self.next_response()
        return code


class TlsPhone:
    """A phone (UAS) on a sips: address: answers every INVITE, records the requests it got. Each
    connection is served on a thread of its own, for as long as the phone is open."""

    def __init__(self, cert, key, timeout=20):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(1.0)  # the accept loop looks at `closing` every second
        self.timeout = timeout
        self.port = self.listener.getsockname()[1]
        self.ctx = ctx
        self.requests = []  # (method, headers) in arrival order
        self.arrivals = []  # time.monotonic() of each request, in the same order
        self.handshake_errors = []
        self.connections = 0  # TLS handshakes completed
        self.closing = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self):
        self.closing = True
        self.listener.close()
        self.thread.join(timeout=5)

    def methods(self):
        return [m for m, _ in self.requests]

    def _serve(self):
        while not self.closing:
            try:
                raw, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._connection, args=(raw,), daemon=True).start()

    def _connection(self, raw):
        raw.settimeout(self.timeout)
        try:
            conn = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.handshake_errors.append(str(e))
            raw.close()
            return
        self.connections += 1
        buf = b""
        try:
            while True:
                start, headers, _, buf = read_message(conn, buf)
                method = start.split()[0]
                self.arrivals.append(time.monotonic())
                self.requests.append((method, headers))
                if method == "ACK":
                    continue
                keep = [f"{n}: {v}" for n, v in headers
                        if n.lower() in ("via", "from", "call-id", "cseq", "record-route")]
                to = header(headers, "To") + ("" if method != "INVITE" else ";tag=tlsphone")
                contact = f"Contact: <sip:phone@127.0.0.1:{self.port};transport=tls>"
                if method == "INVITE":
                    ringing = ["SIP/2.0 180 Ringing"] + keep + [f"To: {to}", contact, "Content-Length: 0"]
                    conn.sendall(("\r\n".join(ringing) + "\r\n\r\n").encode())
                    ok = (["SIP/2.0 200 OK"] + keep + [f"To: {to}", contact, "Content-Type: application/sdp",
                                                       f"Content-Length: {len(SDP)}"])
                    conn.sendall(("\r\n".join(ok) + "\r\n\r\n" + SDP).encode())
                else:
                    ok = ["SIP/2.0 200 OK"] + keep + [f"To: {to}", "Content-Length: 0"]
                    conn.sendall(("\r\n".join(ok) + "\r\n\r\n").encode())
        except (ConnectionError, OSError, socket.timeout):
            conn.close()
