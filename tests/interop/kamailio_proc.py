"""Kamailio as a child process for tests and benchmarks: foreground (-DD -E), one UDP socket on a
free loopback port, its own runtime dir and small shared memory. Stopped by pid (SIGTERM to the
main process, which stops its own children), never by name; every wait is bounded."""

import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from child_processes import popen  # noqa: E402

MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"


def sip_options_ok(host, port, timeout=0.5):
    """True when a SIP OPTIONS to host:port gets any response (Kamailio is up and parsing)."""
    msg = (f"OPTIONS sip:ping@{host}:{port} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:{{lp}};branch=z9hG4bK-ping{time.monotonic_ns()}\r\n"
           "From: <sip:probe@127.0.0.1>;tag=probe\r\nTo: <sip:ping@127.0.0.1>\r\n"
           f"Call-ID: probe-{time.monotonic_ns()}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 0\r\n"
           "Content-Length: 0\r\n\r\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        s.sendto(msg.replace("{lp}", str(s.getsockname()[1])).encode(), (host, port))
        try:
            s.recvfrom(4096)
            return True
        except OSError:
            return False


class Kamailio:
    def __init__(self, cfg, workdir, port, defines=None, children=2, shm_mb=32, pkg_mb=4, name="kamailio"):
        self.port = port
        self.rundir = os.path.join(workdir, f"{name}-run")
        os.makedirs(self.rundir, exist_ok=True)
        self.log_file = os.path.join(workdir, f"{name}.log")
        argv = ["kamailio", "-DD", "-E", "-f", cfg, "-l", f"udp:127.0.0.1:{port}", "-Y", self.rundir,
                "-P", os.path.join(self.rundir, "kamailio.pid"), "-L", MODULES, "-m", str(shm_mb),
                "-M", str(pkg_mb), "-n", str(children), "-w", self.rundir]
        for k, v in (defines or {}).items():
            argv += ["-A", f'{k}="{v}"' if isinstance(v, str) else f"{k}={v}"]
        self.argv = argv
        with open(self.log_file, "ab") as log:
            self.proc = popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"kamailio exited with {self.proc.returncode}: see {self.log_file}")
            if sip_options_ok("127.0.0.1", self.port):
                return self
            time.sleep(0.1)
        raise AssertionError(f"kamailio not answering on 127.0.0.1:{self.port} within {timeout}s")

    def pids(self):
        """The main process and its children (Kamailio forks its workers), from /proc."""
        out = [self.proc.pid]
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
        return out

    def stop(self, timeout=10):
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def log(self):
        with open(self.log_file, errors="replace") as f:
            return f.read()
